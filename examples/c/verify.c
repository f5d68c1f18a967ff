/*
 * Verifies story (a) of testdata/stories (a-spoof.eml: From admin@a.com, signed by fake.com)
 * twice: with DNS answered by the embedder's callbacks (an in-memory table below), and with
 * the zone files testdata/zones/a.com.zone and fake.com.zone. Both print the same results:
 * spf=pass, dkim=pass (fake.com), dmarc=fail, disposition reject.
 *
 *   ./verify TESTDATA_DIR
 */
#include "common.h"
#include "story_a.h"

static void verify_and_print(const char *label, mailproof_authenticator *auth,
                             const unsigned char *message, size_t len, mailproof_error *error) {
  /* The story's message was signed at 1647931078: verify as if 22 seconds later. */
  check(mailproof_authenticator_set_now(auth, 1647931100, error), error, "set_now");
  mailproof_verdict *verdict = mailproof_verify(auth, message, len, "203.0.113.66", "mail.fake.com",
                                                "xxx@fake.com", error);
  check(verdict != NULL, error, "mailproof_verify");
  printf("== %s\n", label);
  print_str("spf", mailproof_verdict_spf_result(verdict));
  print_str("spf.domain", mailproof_verdict_spf_domain(verdict));
  print_str("spf.reason", mailproof_verdict_spf_reason(verdict));
  size_t count = mailproof_verdict_dkim_count(verdict);
  for (size_t i = 0; i < count; i++) {
    print_str("dkim", mailproof_verdict_dkim_result(verdict, i));
    print_str("dkim.domain", mailproof_verdict_dkim_domain(verdict, i));
    print_str("dkim.selector", mailproof_verdict_dkim_selector(verdict, i));
    print_str("dkim.reason", mailproof_verdict_dkim_reason(verdict, i));
  }
  print_str("dmarc", mailproof_verdict_dmarc_result(verdict));
  print_str("dmarc.domain", mailproof_verdict_dmarc_domain(verdict));
  print_str("dmarc.policy", mailproof_verdict_dmarc_policy(verdict));
  print_str("dmarc.reason", mailproof_verdict_dmarc_reason(verdict));
  static const char *const DISPOSITIONS[] = {"none", "quarantine", "reject"};
  printf("disposition: %s\n", DISPOSITIONS[mailproof_verdict_dmarc_disposition(verdict)]);
  print_str("header", mailproof_verdict_authentication_results(verdict));
  mailproof_verdict_free(verdict);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s TESTDATA_DIR\n", argv[0]);
    return 2;
  }
  char path[4096];
  snprintf(path, sizeof path, "%s/stories/a-spoof.eml", argv[1]);
  size_t len;
  unsigned char *message = read_file(path, &len);
  printf("mailproof %s\n", mailproof_version());

  mailproof_error *error = mailproof_error_new();

  /* 1. DNS from the callbacks. */
  unsigned lookups = 0;
  mailproof_resolver_callbacks callbacks = story_a_callbacks(&lookups);
  mailproof_authenticator *auth = mailproof_authenticator_new_callbacks("mx.example.org", &callbacks, error);
  check(auth != NULL, error, "mailproof_authenticator_new_callbacks");
  verify_and_print("callbacks", auth, message, len, error);
  printf("callback lookups: %u\n", lookups);
  mailproof_authenticator_free(auth);

  /* 2. DNS from zone files. */
  char zone_a[4096], zone_fake[4096];
  snprintf(zone_a, sizeof zone_a, "%s/zones/a.com.zone", argv[1]);
  snprintf(zone_fake, sizeof zone_fake, "%s/zones/fake.com.zone", argv[1]);
  const char *zones[] = {zone_a, zone_fake};
  auth = mailproof_authenticator_new_zones("mx.example.org", zones, 2, error);
  check(auth != NULL, error, "mailproof_authenticator_new_zones");
  verify_and_print("zones", auth, message, len, error);

  /* SPF alone, for an address fake.com does not authorize. */
  mailproof_spf *spf = mailproof_check_spf(auth, "198.51.100.7", "mail.fake.com", "xxx@fake.com", error);
  check(spf != NULL, error, "mailproof_check_spf");
  printf("== spf only\n");
  print_str("spf", mailproof_spf_result(spf));
  print_str("received-spf", mailproof_spf_received_spf(spf));
  mailproof_spf_free(spf);
  mailproof_authenticator_free(auth);

  mailproof_error_free(error);
  free(message);
  return 0;
}
