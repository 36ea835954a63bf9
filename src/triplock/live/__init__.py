"""Observers of running services for `triplock verify`: each turns what a live endpoint shows
into facts with a URL as provenance (a Spark environment is a SparkApp, a Hadoop /conf a
HadoopConf, a probe's answer a SparkService, etcd's Secret values an EtcdSecrets), and the
same rules judge them. Every request they send is listed in docs/verify.md.
"""
