// How Spark and Hadoop themselves read a boolean setting: each stdin line is one value, hex
// encoded UTF-8; each output line is Spark's answer and Hadoop's (true, false, or what a value
// that is not a boolean gives: "error" for Spark, "default" for Hadoop).
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;

import org.apache.hadoop.conf.Configuration;
import org.apache.spark.internal.config.ConfigHelpers;

public class ReadBooleans {
    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        StringBuilder out = new StringBuilder();
        for (String line; (line = in.readLine()) != null; ) {
            String value = new String(HexFormat.of().parseHex(line), StandardCharsets.UTF_8);
            out.append(spark(value)).append(' ').append(hadoop(value)).append('\n');
        }
        System.out.print(out);
    }

    static String spark(String value) {
        try {
            return String.valueOf(ConfigHelpers.toBoolean(value, "k"));
        } catch (IllegalArgumentException e) {
            return "error";
        }
    }

    static String hadoop(String value) {
        Configuration conf = new Configuration(false);
        conf.set("k", value);
        boolean whenTrue = conf.getBoolean("k", true);
        return whenTrue == conf.getBoolean("k", false) ? String.valueOf(whenTrue) : "default";
    }
}
