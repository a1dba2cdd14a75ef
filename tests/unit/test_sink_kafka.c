// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The Kafka sink: its spec (brokers, topic, options, librdkafka settings
 * checked when parsed, secrets kept out of its name), and delivery to a
 * real Kafka-protocol broker, librdkafka's mock cluster in this process:
 * acknowledged events counted, a broker outage reported once, the loss
 * counted, delivery resumed. (tests/integration/test_sink_kafka.py reads
 * the messages back from a daemon's sink.)
 */
#include "sink_testutil.h"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "lib/timefmt.h"

static void check_ok(const char *spec)
{
	if (sink__check(spec, err, sizeof(err)))
		fail_msg("%s refused: %s", spec, err);
}

static void check_bad(const char *spec, const char *why)
{
	assert_int_equal(sink__check(spec, err, sizeof(err)), -EINVAL);
	if (!strstr(err, why))
		fail_msg("%s: message \"%s\" lacks \"%s\"", spec, err, why);
	assert_null(strchr(err, '\n'));
}

static void spec_accepts_the_documented_forms(void **state)
{
	(void)state;
	check_ok("kafka://127.0.0.1:9092/sockscope");
	check_ok("kafka://k1.example.com:9092,k2.example.com:9093,[::1]:9094/socket.events-1");
	check_ok("kafka://kafka:9092/t?key=port&acks=1&compression=lz4&queue_bytes=64M");
	check_ok("kafka://kafka:9092/t?key=cookie&acks=0&compression=zstd");
	check_ok("kafka://kafka:9092/t?key=host&acks=all&compression=none");
	check_ok("kafka://kafka:9093/t?security.protocol=sasl_ssl&sasl.mechanisms=SCRAM-SHA-512"
		 "&sasl.username=u&sasl.password=p%26q%3Dr&ssl.ca.location=/etc/ssl/ca.pem");
	check_ok("kafka://kafka:9092/t?message.timeout.ms=60000&client.id=host-7");
}

static void spec_refuses_with_a_reason(void **state)
{
	(void)state;
	check_bad("kafka://", "expected kafka://HOST:PORT");
	check_bad("kafka://127.0.0.1:9092", "expected kafka://HOST:PORT");
	check_bad("kafka://127.0.0.1:9092/", "topic ''");
	check_bad("kafka:///t", "expected kafka://HOST:PORT");
	check_bad("kafka://127.0.0.1/t", "broker '127.0.0.1'");
	check_bad("kafka://127.0.0.1:0/t", "broker '127.0.0.1:0'");
	check_bad("kafka://127.0.0.1:65536/t", "broker '127.0.0.1:65536'");
	check_bad("kafka://a:1,/t", "empty broker");
	check_bad("kafka://a:1,,b:2/t", "broker ''");
	check_bad("kafka://a b:1/t", "broker 'a b:1'");
	check_bad("kafka://[::1/t", "broker '[::1'");
	check_bad("kafka://a:1/t/x", "topic 't/x'");
	check_bad("kafka://a:1/..", "topic '..'");
	check_bad("kafka://a:1/t?key=pid", "key 'pid': host, port or cookie");
	check_bad("kafka://a:1/t?acks=2", "acks '2': all, 1 or 0");
	check_bad("kafka://a:1/t?compression=gzip", "compression 'gzip': none, lz4 or zstd");
	check_bad("kafka://a:1/t?linger.ms=5", "unknown option 'linger.ms' for a kafka sink");
	check_bad("kafka://a:1/t?sasl.foo=1", "No such configuration property: \"sasl.foo\"");
	check_bad("kafka://a:1/t?security.protocol=bogus", "Invalid value \"bogus\"");
	check_bad("kafka://a:1/t?message.timeout.ms=soon", "message.timeout.ms");
	check_bad("kafka://a:1/t?sasl.password=a%2", "sasl.password: a value");
	check_bad("kafka://a:1/t?sasl.password=a%00b", "sasl.password: a value");
	check_bad("kafka://a:1/t?facility=local0", "unknown option 'facility'");
}

static void secrets_stay_out_of_the_name(void **state)
{
	struct sink *s = NULL;

	(void)state;
	assert_int_equal(sink__open(&s,
				    "kafka://a:1/t?sasl.username=u&sasl.password=hunter2&"
				    "ssl.key.password=k%26y&key=port",
				    "h", "sockscope", err, sizeof(err)),
			 0);
	assert_string_equal(sink__name(s), "kafka://a:1/t?sasl.username=u&sasl.password=***&"
					   "ssl.key.password=***&key=port");
	sink__close(s, 0);
}

/* What --check-config prints: the same rule, without opening a sink; a cut
 * output stays a C string. */
static void redacted_spec_for_printing(void **state)
{
	char out[128], tiny[24];

	(void)state;
	sink_spec__redacted("kafka://a:1/t?sasl.password=hunter2&key=port&x.secret=s", out,
			    sizeof(out));
	assert_string_equal(out, "kafka://a:1/t?sasl.password=***&key=port&x.secret=***");
	sink_spec__redacted("file:/var/log/x.json?max_bytes=10", out, sizeof(out));
	assert_string_equal(out, "file:/var/log/x.json?max_bytes=10");
	sink_spec__redacted("kafka://a:1/t?sasl.password=hunter2", tiny, sizeof(tiny));
	assert_null(strstr(tiny, "hunter"));
	assert_true(strlen(tiny) < sizeof(tiny));
}

/* ---- delivery to a mock cluster ---- */

static rd_kafka_t *mock_rk;
static rd_kafka_mock_cluster_t *mock;

static int mock_setup(void **state)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();

	(void)state;
	rd_kafka_conf_set(conf, "log_level", "0", err, sizeof(err));
	mock_rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
	assert_non_null(mock_rk);
	mock = rd_kafka_mock_cluster_new(mock_rk, 1);
	assert_non_null(mock);
	assert_int_equal(rd_kafka_mock_topic_create(mock, "events", 3, 1), 0);
	return 0;
}

static int mock_teardown(void **state)
{
	(void)state;
	rd_kafka_mock_cluster_destroy(mock);
	rd_kafka_destroy(mock_rk);
	return 0;
}

static void put_event(struct sink *s, int n)
{
	struct ss_event e = tu_nginx_record(SS_EV_BIND);
	char l[64];

	e.hdr.flags |= SS_F_LOCAL;
	e.lport = (uint16_t)(8000 + n % 4);
	snprintf(l, sizeof(l), "{\"event\":\"bind\",\"n\":%d}\n", n);
	sink__write_event(s, l, strlen(l), "bind", 6, TS, 812, &e, NULL);
}

/* Pumps on the real clock (librdkafka's threads work meanwhile) until
 * done(s) or timeout_s; every status line is appended to log. */
static bool pump_until(struct sink *s, bool (*done)(struct sink *), int timeout_s, char *log,
		       size_t loglen)
{
	int64_t end = (int64_t)mono_now_ns() + timeout_s * SEC;

	while ((int64_t)mono_now_ns() < end) {
		pump(s, (int64_t)mono_now_ns());
		if (status[0] && log)
			snprintf(log + strlen(log), loglen - strlen(log), "%s\n", status);
		if (done(s))
			return true;
		usleep(20000);
	}
	return false;
}

static uint64_t want_written;

static bool all_written(struct sink *s)
{
	return stats(s).written >= want_written;
}

static bool is_down(struct sink *s)
{
	return !stats(s).healthy;
}

/* An event now and then: librdkafka reconnects with backoff (up to
 * 10 s), and one event alone could time out before. */
static bool is_up(struct sink *s)
{
	static int n;

	if (++n % 25 == 0)
		put_event(s, 100 + n);
	return stats(s).healthy;
}

static void delivers_reports_outage_once_and_resumes(void **state)
{
	char log[4096] = "";
	struct sink *s;

	(void)state;
	s = open_sinkf("kafka://%s/events?key=port&message.timeout.ms=1500",
		       rd_kafka_mock_cluster_bootstraps(mock));
	for (int i = 0; i < 20; i++)
		put_event(s, i);
	want_written = 20;
	assert_true(pump_until(s, all_written, 20, log, sizeof(log)));
	assert_string_equal(log, "");
	assert_int_equal(stats(s).failed, 0);
	assert_int_equal(stats(s).dropped, 0);
	assert_int_equal(stats(s).queued_bytes, 0);

	/* The broker goes: told once, however long it lasts. */
	assert_int_equal(rd_kafka_mock_broker_set_down(mock, 1), 0);
	assert_true(pump_until(s, is_down, 20, log, sizeof(log)));
	assert_non_null(strstr(log, "broker: "));
	assert_non_null(strstr(log, "brokers are down; librdkafka reconnects; events wait up to "
				    "message.timeout.ms\n"));
	/* Events meanwhile wait in librdkafka, which gives up on them after
	 * message.timeout.ms: counted as failed. */
	for (int i = 20; i < 30; i++)
		put_event(s, i);
	for (int i = 0; i < 100 && stats(s).failed < 10; i++) {
		pump(s, (int64_t)mono_now_ns());
		if (status[0])
			snprintf(log + strlen(log), sizeof(log) - strlen(log), "%s\n", status);
		usleep(50000);
	}
	assert_int_equal(stats(s).failed, 10);
	assert_int_equal(stats(s).written, 20);
	assert_null(strchr(log, '\n') ? strchr(strchr(log, '\n') + 1, '\n') : NULL);

	/* Back: the next acknowledged event ends the outage, told with the
	 * loss. */
	assert_int_equal(rd_kafka_mock_broker_set_up(mock, 1), 0);
	put_event(s, 30);
	assert_true(pump_until(s, is_up, 30, log, sizeof(log)));
	if (!strstr(log, "; 0 events dropped meanwhile; ") || !strstr(log, " failed delivery"))
		fail_msg("log: %s", log);
	want_written = 21;
	assert_true(pump_until(s, all_written, 20, NULL, 0));
	assert_int_equal(sink__close(s, 2000), 0);
}

static void close_counts_what_stayed_undelivered(void **state)
{
	struct sink *s;
	int64_t t0;

	(void)state;
	assert_int_equal(rd_kafka_mock_broker_set_down(mock, 1), 0);
	s = open_sinkf("kafka://%s/events", rd_kafka_mock_cluster_bootstraps(mock));
	for (int i = 0; i < 5; i++)
		put_event(s, i);
	pump(s, (int64_t)mono_now_ns());
	t0 = (int64_t)mono_now_ns();
	/* Flushed for 300 ms at most, then purged: 5 never acknowledged. */
	assert_int_equal(sink__close(s, 300), 5);
	assert_true((int64_t)mono_now_ns() - t0 < 2 * SEC);
	assert_int_equal(rd_kafka_mock_broker_set_up(mock, 1), 0);
}

static void full_queues_drop_and_count_never_block(void **state)
{
	uint64_t left, dropped;
	struct sink *s;
	int64_t t0;

	(void)state;
	assert_int_equal(rd_kafka_mock_broker_set_down(mock, 1), 0);
	s = open_sinkf("kafka://%s/events?queue_bytes=16K", rd_kafka_mock_cluster_bootstraps(mock));
	t0 = (int64_t)mono_now_ns();
	/* librdkafka takes 16 KiB, our queue 16 KiB more; the rest drops. */
	for (int i = 0; i < 5000; i++) {
		put_event(s, i);
		if (i % 100 == 0)
			pump(s, (int64_t)mono_now_ns());
	}
	assert_true((int64_t)mono_now_ns() - t0 < SEC);
	pump(s, (int64_t)mono_now_ns());
	assert_true(stats(s).dropped > 3000);
	assert_int_equal(stats(s).written, 0);
	assert_int_equal(stats(s).failed, 0);
	dropped = stats(s).dropped;
	left = sink__close(s, 100);
	/* every event accounted for: dropped, or undelivered at exit */
	assert_true(left > 100);
	assert_int_equal(dropped + left, 5000);
	assert_int_equal(rd_kafka_mock_broker_set_up(mock, 1), 0);
}

int main(void)
{
	const struct CMUnitTest spec[] = {
		cmocka_unit_test(spec_accepts_the_documented_forms),
		cmocka_unit_test(spec_refuses_with_a_reason),
		cmocka_unit_test(secrets_stay_out_of_the_name),
		cmocka_unit_test(redacted_spec_for_printing),
	};
	const struct CMUnitTest broker[] = {
		cmocka_unit_test(delivers_reports_outage_once_and_resumes),
		cmocka_unit_test(close_counts_what_stayed_undelivered),
		cmocka_unit_test(full_queues_drop_and_count_never_block),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests_name("kafka spec", spec, NULL, NULL) |
	       cmocka_run_group_tests_name("kafka delivery", broker, mock_setup, mock_teardown);
}
