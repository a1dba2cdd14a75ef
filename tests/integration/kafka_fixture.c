// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A Kafka-protocol broker for tests: librdkafka's mock cluster (one
 * broker on loopback) with the topics given, driven over stdin.
 *
 *   kafka_fixture TOPIC:PARTITIONS...
 *
 * prints "bootstrap HOST:PORT", then answers one line per command:
 *
 *   down          the broker drops its connections and refuses new ones
 *   up            it accepts again
 *   dump TOPIC    every message of TOPIC, read back by a consumer from the
 *                 beginning of each partition to its end, one line each:
 *                   msg PARTITION OFFSET KEY VALUE HEADERS
 *                 KEY and VALUE in hex ("-" for none), HEADERS as
 *                 name=hexvalue joined by ',' ("-" for none); then
 *                 "end COUNT"
 *   quit
 *
 * Each command ends with a line "ok" (or "error REASON"), so the test
 * knows when it took effect.
 */
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_TOPICS 8

static struct {
	char name[250];
	int partitions;
} topics[MAX_TOPICS];
static int nr_topics;

static void hex(const void *p, size_t n)
{
	const unsigned char *b = p;

	if (!p) {
		fputs("-", stdout);
		return;
	}
	if (!n)
		fputs("", stdout);
	for (size_t i = 0; i < n; i++)
		printf("%02x", b[i]);
}

static void print_msg(const rd_kafka_message_t *m)
{
	rd_kafka_headers_t *hs = NULL;
	const char *name;
	const void *val;
	size_t len;

	printf("msg %d %lld ", m->partition, (long long)m->offset);
	hex(m->key, m->key_len);
	putchar(' ');
	hex(m->payload, m->len);
	putchar(' ');
	if (rd_kafka_message_headers(m, &hs) || !rd_kafka_header_cnt(hs)) {
		puts("-");
		return;
	}
	for (size_t i = 0; !rd_kafka_header_get_all(hs, i, &name, &val, &len); i++) {
		printf("%s%s=", i ? "," : "", name);
		hex(val, len);
	}
	putchar('\n');
}

static int dump(const char *bootstrap, const char *topic)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	rd_kafka_topic_partition_list_t *parts;
	char err[512];
	rd_kafka_t *rk;
	int n = -1, eof = 0, count = 0;
	time_t deadline = time(NULL) + 10;

	for (int i = 0; i < nr_topics; i++)
		if (!strcmp(topics[i].name, topic))
			n = topics[i].partitions;
	if (n < 0) {
		printf("error unknown topic %s\n", topic);
		return -1;
	}
	if (rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, err, sizeof(err)) ||
	    rd_kafka_conf_set(conf, "group.id", "kafka-fixture", err, sizeof(err)) ||
	    rd_kafka_conf_set(conf, "enable.auto.commit", "false", err, sizeof(err)) ||
	    rd_kafka_conf_set(conf, "enable.partition.eof", "true", err, sizeof(err))) {
		printf("error %s\n", err);
		return -1;
	}
	rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err));
	if (!rk) {
		printf("error %s\n", err);
		return -1;
	}
	rd_kafka_poll_set_consumer(rk);
	parts = rd_kafka_topic_partition_list_new(n);
	for (int p = 0; p < n; p++)
		rd_kafka_topic_partition_list_add(parts, topic, p)->offset =
			RD_KAFKA_OFFSET_BEGINNING;
	rd_kafka_assign(rk, parts);
	rd_kafka_topic_partition_list_destroy(parts);
	while (eof < n && time(NULL) < deadline) {
		rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 200);

		if (!m)
			continue;
		if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF)
			eof++;
		else if (!m->err) {
			print_msg(m);
			count++;
		}
		rd_kafka_message_destroy(m);
	}
	rd_kafka_consumer_close(rk);
	rd_kafka_destroy(rk);
	if (eof < n) {
		printf("error only %d of %d partitions read to their end\n", eof, n);
		return -1;
	}
	printf("end %d\n", count);
	return 0;
}

int main(int argc, char **argv)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	rd_kafka_mock_cluster_t *mc;
	char err[512], line[512], bootstrap[256];
	rd_kafka_t *rk;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2 || argc - 1 > MAX_TOPICS) {
		fprintf(stderr, "usage: kafka_fixture TOPIC:PARTITIONS...\n");
		return 2;
	}
	/* The cluster needs a handle to live in; this one never sends (and
	 * need not warn that it has no bootstrap.servers). */
	rd_kafka_conf_set(conf, "log_level", "3", err, sizeof(err));
	rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
	if (!rk) {
		fprintf(stderr, "kafka_fixture: %s\n", err);
		return 1;
	}
	mc = rd_kafka_mock_cluster_new(rk, 1);
	if (!mc) {
		fprintf(stderr, "kafka_fixture: no mock cluster\n");
		return 1;
	}
	for (int i = 1; i < argc; i++) {
		char *colon = strrchr(argv[i], ':');

		if (!colon || colon == argv[i] ||
		    (size_t)(colon - argv[i]) >= sizeof(topics[0].name) || atoi(colon + 1) < 1) {
			fprintf(stderr, "kafka_fixture: bad topic '%s'\n", argv[i]);
			return 2;
		}
		memcpy(topics[nr_topics].name, argv[i], (size_t)(colon - argv[i]));
		topics[nr_topics].partitions = atoi(colon + 1);
		if (rd_kafka_mock_topic_create(mc, topics[nr_topics].name,
					       topics[nr_topics].partitions, 1)) {
			fprintf(stderr, "kafka_fixture: cannot create topic '%s'\n", argv[i]);
			return 1;
		}
		nr_topics++;
	}
	snprintf(bootstrap, sizeof(bootstrap), "%s", rd_kafka_mock_cluster_bootstraps(mc));
	printf("bootstrap %s\n", bootstrap);
	while (fgets(line, sizeof(line), stdin)) {
		line[strcspn(line, "\n")] = '\0';
		if (!strcmp(line, "down")) {
			rd_kafka_mock_broker_set_down(mc, 1);
		} else if (!strcmp(line, "up")) {
			rd_kafka_mock_broker_set_up(mc, 1);
		} else if (!strncmp(line, "dump ", 5)) {
			if (dump(bootstrap, line + 5))
				continue;
		} else if (!strcmp(line, "quit")) {
			puts("ok");
			break;
		} else {
			printf("error unknown command '%s'\n", line);
			continue;
		}
		puts("ok");
	}
	rd_kafka_mock_cluster_destroy(mc);
	rd_kafka_destroy(rk);
	return 0;
}
