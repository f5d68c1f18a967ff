/*
 * Tests of mailproof's C API: errors for bad arguments (NULL, non-UTF-8, impossible lengths,
 * unreadable files and keys), absent values, and thread safety: THREADS threads share one
 * authenticator per DNS source (callbacks and zone files) and one signer, each verifying and
 * signing ROUNDS times with its own error object.
 *
 *   ./test_api TESTDATA_DIR [THREADS ROUNDS]
 * Prints "ok: ..." lines; exits non-zero at the first failure.
 */
#include <pthread.h>
#include <stdint.h>

#include "common.h"
#include "story_a.h"

static int failures = 0;

#define EXPECT(cond)                                                        \
  do {                                                                      \
    if (!(cond)) {                                                          \
      fprintf(stderr, "%s:%d: expected %s\n", __FILE__, __LINE__, #cond); \
      failures++;                                                           \
    }                                                                       \
  } while (0)

static int str_is(mailproof_str s, const char *expected) {
  return s.data != NULL && s.len == strlen(expected) && memcmp(s.data, expected, s.len) == 0 &&
         s.data[s.len] == '\0';
}

static int error_is(const mailproof_error *error, mailproof_code code, const char *message) {
  mailproof_str text = mailproof_error_message(error);
  if (mailproof_error_code(error) != code) {
    fprintf(stderr, "code %d, expected %d (%.*s)\n", (int)mailproof_error_code(error), (int)code,
            (int)text.len, text.data);
    return 0;
  }
  return message == NULL || str_is(text, message);
}

static const char *TESTDATA;
static unsigned char *MESSAGE;
static size_t MESSAGE_LEN;

static void test_errors(void) {
  mailproof_error *error = mailproof_error_new();
  EXPECT(error_is(error, MAILPROOF_CODE_OK, ""));
  char zone_a[4096];
  snprintf(zone_a, sizeof zone_a, "%s/zones/a.com.zone", TESTDATA);
  const char *zones[] = {zone_a};
  mailproof_authenticator *auth = mailproof_authenticator_new_zones("mx.example.org", zones, 1, error);
  EXPECT(auth != NULL && error_is(error, MAILPROOF_CODE_OK, ""));

  const uint8_t *msg = MESSAGE;
  EXPECT(mailproof_verify(NULL, msg, MESSAGE_LEN, "192.0.2.1", "h.example", "", error) == NULL);
  EXPECT(error_is(error, MAILPROOF_CODE_NULL_POINTER, "authenticator is NULL"));
  EXPECT(mailproof_verify(auth, NULL, 5, "192.0.2.1", "h.example", "", error) == NULL);
  EXPECT(error_is(error, MAILPROOF_CODE_NULL_POINTER, "message is NULL"));
  EXPECT(mailproof_verify(auth, msg, (size_t)-1, "192.0.2.1", "h.example", "", error) == NULL);
  EXPECT(error_is(error, MAILPROOF_CODE_INVALID_LENGTH, NULL));
  EXPECT(mailproof_verify(auth, msg, MESSAGE_LEN, "192.0.2.999", "h.example", "", error) == NULL);
  EXPECT(error_is(error, MAILPROOF_CODE_INVALID_ARGUMENT, "client_ip \"192.0.2.999\" is not an IP address"));
  EXPECT(mailproof_verify(auth, msg, MESSAGE_LEN, "192.0.2.1", "caf\xe9.example", "", error) == NULL);
  EXPECT(error_is(error, MAILPROOF_CODE_INVALID_UTF8, "helo is not UTF-8 (invalid byte at offset 3)"));
  EXPECT(mailproof_verify(auth, msg, MESSAGE_LEN, "192.0.2.1", "h.example", NULL, error) == NULL);
  EXPECT(error_is(error, MAILPROOF_CODE_NULL_POINTER, "mail_from is NULL"));
  /* A NULL error object is allowed: the failure is then only the return value. */
  EXPECT(mailproof_verify(auth, msg, MESSAGE_LEN, NULL, "h.example", "", NULL) == NULL);
  /* A message that does not parse is a verdict, not an error. */
  mailproof_verdict *verdict = mailproof_verify(auth, (const uint8_t *)"garbage", 7, "192.0.2.1", "h.example", "", error);
  EXPECT(verdict != NULL && error_is(error, MAILPROOF_CODE_OK, ""));
  EXPECT(str_is(mailproof_verdict_dmarc_result(verdict), "permerror"));
  EXPECT(mailproof_verdict_dkim_count(verdict) == 0);
  EXPECT(mailproof_verdict_dkim_result(verdict, 0).data == NULL);
  EXPECT(mailproof_verdict_dmarc_domain(verdict).data == NULL);
  mailproof_verdict_free(verdict);
  printf("ok: verify arguments\n");

  const char *missing[] = {"/nonexistent/a.zone"};
  EXPECT(mailproof_authenticator_new_zones("mx.example.org", missing, 1, error) == NULL);
  EXPECT(error_is(error, MAILPROOF_CODE_ZONE_FILE, NULL));
  EXPECT(mailproof_authenticator_new_zones("mx.example.org", zones, 0, error) == NULL);
  EXPECT(error_is(error, MAILPROOF_CODE_INVALID_ARGUMENT, "no zone files given"));
  EXPECT(mailproof_authenticator_new_zones(NULL, zones, 1, error) == NULL);
  EXPECT(error_is(error, MAILPROOF_CODE_NULL_POINTER, "authserv_id is NULL"));
  const char *servers[] = {"127.0.0.1:5353", "not an address"};
  EXPECT(mailproof_authenticator_new_servers("mx.example.org", servers, 2, error) == NULL);
  EXPECT(error_is(error, MAILPROOF_CODE_INVALID_ARGUMENT, NULL));
  mailproof_authenticator *network = mailproof_authenticator_new_servers("mx.example.org", servers, 1, error);
  EXPECT(network != NULL && error_is(error, MAILPROOF_CODE_OK, ""));
  mailproof_authenticator_free(network);
  mailproof_resolver_callbacks no_txt = {0};
  EXPECT(mailproof_authenticator_new_callbacks("mx.example.org", &no_txt, error) == NULL);
  EXPECT(error_is(error, MAILPROOF_CODE_NULL_POINTER, "the txt callback is NULL (it is required)"));
  EXPECT(!mailproof_authenticator_set_now(NULL, 1, error));
  EXPECT(error_is(error, MAILPROOF_CODE_NULL_POINTER, NULL));
  printf("ok: constructor arguments\n");

  mailproof_signer *signer = mailproof_signer_new(error);
  EXPECT(signer != NULL);
  EXPECT(mailproof_sign(signer, msg, MESSAGE_LEN, error) == NULL);
  EXPECT(error_is(error, MAILPROOF_CODE_SIGN, "no signing keys configured"));
  EXPECT(!mailproof_signer_add_key_pem(signer, "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", "a.example", "s", error));
  EXPECT(error_is(error, MAILPROOF_CODE_KEY, NULL));
  EXPECT(!mailproof_signer_add_key_pem(signer, NULL, "a.example", "s", error));
  EXPECT(error_is(error, MAILPROOF_CODE_NULL_POINTER, "pem is NULL"));
  EXPECT(mailproof_signer_key_count(signer) == 0);
  mailproof_signer_free(signer);
  printf("ok: signer arguments\n");

  /* NULL handles: absent strings, zeros, ignored frees. */
  EXPECT(mailproof_verdict_spf_result(NULL).data == NULL);
  EXPECT(mailproof_spf_received_spf(NULL).data == NULL);
  EXPECT(mailproof_signed_message(NULL).data == NULL);
  EXPECT(mailproof_verdict_dkim_count(NULL) == 0);
  EXPECT(mailproof_verdict_dmarc_disposition(NULL) == MAILPROOF_DISPOSITION_NONE);
  EXPECT(mailproof_error_code(NULL) == MAILPROOF_CODE_NULL_POINTER);
  EXPECT(mailproof_error_message(NULL).data == NULL);
  EXPECT(!mailproof_answer_add_txt(NULL, (const uint8_t *)"x", 1));
  mailproof_verdict_free(NULL);
  mailproof_spf_free(NULL);
  mailproof_signed_free(NULL);
  mailproof_signer_free(NULL);
  mailproof_authenticator_free(NULL);
  mailproof_error_free(NULL);
  EXPECT(strlen(mailproof_version()) > 0);
  printf("ok: NULL handles\n");

  mailproof_authenticator_free(auth);
  mailproof_error_free(error);
}

struct shared {
  mailproof_authenticator *callbacks;
  mailproof_authenticator *zones;
  mailproof_signer *signer;
  int rounds;
};

static void *worker(void *arg) {
  const struct shared *shared = arg;
  mailproof_error *error = mailproof_error_new(); /* one per thread */
  intptr_t bad = 0;
  for (int round = 0; round < shared->rounds; round++) {
    mailproof_authenticator *auths[] = {shared->callbacks, shared->zones};
    for (int i = 0; i < 2; i++) {
      mailproof_verdict *v = mailproof_verify(auths[i], MESSAGE, MESSAGE_LEN, "203.0.113.66",
                                              "mail.fake.com", "xxx@fake.com", error);
      if (v == NULL || !str_is(mailproof_verdict_spf_result(v), "pass") ||
          !str_is(mailproof_verdict_dkim_result(v, 0), "pass") ||
          !str_is(mailproof_verdict_dmarc_result(v), "fail") ||
          mailproof_verdict_dmarc_disposition(v) != MAILPROOF_DISPOSITION_REJECT) {
        bad++;
      }
      mailproof_verdict_free(v);
    }
    mailproof_signed *s = mailproof_sign(shared->signer, MESSAGE, MESSAGE_LEN, error);
    if (s == NULL || mailproof_signed_headers(s).len == 0) bad++;
    mailproof_signed_free(s);
  }
  mailproof_error_free(error);
  return (void *)bad;
}

static void test_threads(int threads, int rounds) {
  mailproof_error *error = mailproof_error_new();
  unsigned lookups = 0;
  mailproof_resolver_callbacks callbacks = story_a_callbacks(&lookups);
  char zone_a[4096], zone_fake[4096], key[4096];
  snprintf(zone_a, sizeof zone_a, "%s/zones/a.com.zone", TESTDATA);
  snprintf(zone_fake, sizeof zone_fake, "%s/zones/fake.com.zone", TESTDATA);
  const char *zones[] = {zone_a, zone_fake};
  struct shared shared = {
      .callbacks = mailproof_authenticator_new_callbacks("mx.example.org", &callbacks, error),
      .zones = mailproof_authenticator_new_zones("mx.example.org", zones, 2, error),
      .signer = mailproof_signer_new(error),
      .rounds = rounds,
  };
  check(shared.callbacks && shared.zones && shared.signer, error, "setup");
  /* Set before sharing: set_now needs exclusive access. */
  check(mailproof_authenticator_set_now(shared.callbacks, 1647931100, error), error, "set_now");
  check(mailproof_authenticator_set_now(shared.zones, 1647931100, error), error, "set_now");
  snprintf(key, sizeof key, "%s/stories/keys/qq.com.ed.pem", TESTDATA);
  char *pem = read_text(key);
  check(mailproof_signer_add_key_pem(shared.signer, pem, "qq.com", "ed", error), error, "add key");
  free(pem);

  pthread_t ids[64];
  if (threads > 64) threads = 64;
  for (int i = 0; i < threads; i++) {
    if (pthread_create(&ids[i], NULL, worker, &shared) != 0) {
      fprintf(stderr, "pthread_create failed\n");
      exit(1);
    }
  }
  intptr_t bad = 0;
  for (int i = 0; i < threads; i++) {
    void *result;
    pthread_join(ids[i], &result);
    bad += (intptr_t)result;
  }
  EXPECT(bad == 0);
  /* Each verification through the callbacks makes the same lookups. */
  EXPECT(lookups > 0 && lookups % (unsigned)(threads * rounds) == 0);
  printf("ok: %d threads x %d rounds (verify with callbacks and zones, sign): %ld failures\n",
         threads, rounds, (long)bad);
  mailproof_authenticator_free(shared.callbacks);
  mailproof_authenticator_free(shared.zones);
  mailproof_signer_free(shared.signer);
  mailproof_error_free(error);
}

int main(int argc, char **argv) {
  if (argc != 2 && argc != 4) {
    fprintf(stderr, "usage: %s TESTDATA_DIR [THREADS ROUNDS]\n", argv[0]);
    return 2;
  }
  TESTDATA = argv[1];
  char path[4096];
  snprintf(path, sizeof path, "%s/stories/a-spoof.eml", TESTDATA);
  MESSAGE = read_file(path, &MESSAGE_LEN);
  test_errors();
  test_threads(argc == 4 ? atoi(argv[2]) : 8, argc == 4 ? atoi(argv[3]) : 20);
  free(MESSAGE);
  if (failures != 0) {
    fprintf(stderr, "%d failures\n", failures);
    return 1;
  }
  printf("all tests passed\n");
  return 0;
}
