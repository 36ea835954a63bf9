// Prints what java.util.Properties.load(Reader) reads from each file named on the command line,
// the way Spark loads spark-defaults.conf (a UTF-8 Reader). One line per entry:
//   <file-index> <base64 key> <base64 value>
// or "<file-index> ERROR <message>" when the JVM rejects the file. Used by the differential test.
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.Base64;
import java.util.Properties;
import java.util.TreeSet;

public class LoadProperties {
    public static void main(String[] args) throws Exception {
        Base64.Encoder b64 = Base64.getEncoder();
        for (int i = 0; i < args.length; i++) {
            Properties props = new Properties();
            try (Reader reader = new InputStreamReader(Files.newInputStream(Paths.get(args[i])), StandardCharsets.UTF_8)) {
                props.load(reader);
            } catch (IllegalArgumentException e) {
                System.out.println(i + " ERROR " + e.getMessage());
                continue;
            }
            for (String key : new TreeSet<>(props.stringPropertyNames())) {
                System.out.println(i + " " + b64.encodeToString(key.getBytes(StandardCharsets.UTF_8))
                    + " " + b64.encodeToString(props.getProperty(key).getBytes(StandardCharsets.UTF_8)));
            }
        }
    }
}
