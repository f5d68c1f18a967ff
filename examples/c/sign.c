/*
 * Signs story (b) of testdata/stories (b-forwarded.unsigned.eml) with two keys in one pass,
 * RSA (s=rsa) and Ed25519 (s=ed) for qq.com, at the fixed time the story was signed, writes
 * the signed message to OUT_FILE (byte for byte testdata/stories/b-forwarded.eml), then
 * verifies it with the zone files of qq.com and 163.com as 163.com's server would.
 *
 *   ./sign TESTDATA_DIR OUT_FILE
 */
#include "common.h"

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s TESTDATA_DIR OUT_FILE\n", argv[0]);
    return 2;
  }
  char path[4096];
  mailproof_error *error = mailproof_error_new();
  mailproof_signer *signer = mailproof_signer_new(error);
  check(signer != NULL, error, "mailproof_signer_new");

  static const char *const KEYS[][2] = {{"qq.com.rsa.pem", "rsa"}, {"qq.com.ed.pem", "ed"}};
  for (size_t i = 0; i < 2; i++) {
    snprintf(path, sizeof path, "%s/stories/keys/%s", argv[1], KEYS[i][0]);
    char *pem = read_text(path);
    check(mailproof_signer_add_key_pem(signer, pem, "qq.com", KEYS[i][1], error), error, "add key");
    free(pem);
  }
  check(mailproof_signer_set_now(signer, 1648170000, error), error, "mailproof_signer_set_now");
  printf("keys: %zu\n", mailproof_signer_key_count(signer));

  snprintf(path, sizeof path, "%s/stories/b-forwarded.unsigned.eml", argv[1]);
  size_t len;
  unsigned char *message = read_file(path, &len);
  mailproof_signed *signed_message = mailproof_sign(signer, message, len, error);
  check(signed_message != NULL, error, "mailproof_sign");
  mailproof_str out = mailproof_signed_message(signed_message);
  FILE *f = fopen(argv[2], "wb");
  if (f == NULL || fwrite(out.data, 1, out.len, f) != out.len || fclose(f) != 0) {
    perror(argv[2]);
    return 1;
  }
  printf("signed: %zu bytes\n", out.len);

  /* Verify what was signed, as 163.com's server (mx.163.com forwards it back to itself). */
  char zone_qq[4096], zone_163[4096];
  snprintf(zone_qq, sizeof zone_qq, "%s/zones/qq.com.zone", argv[1]);
  snprintf(zone_163, sizeof zone_163, "%s/zones/163.com.zone", argv[1]);
  const char *zones[] = {zone_qq, zone_163};
  mailproof_authenticator *auth = mailproof_authenticator_new_zones("mx.163.com", zones, 2, error);
  check(auth != NULL, error, "mailproof_authenticator_new_zones");
  check(mailproof_authenticator_set_now(auth, 1648170100, error), error, "set_now");
  mailproof_verdict *verdict = mailproof_verify(auth, (const uint8_t *)out.data, out.len,
                                                "203.0.113.163", "mx.163.com", "b@qq.com", error);
  check(verdict != NULL, error, "mailproof_verify");
  print_str("spf", mailproof_verdict_spf_result(verdict));
  for (size_t i = 0; i < mailproof_verdict_dkim_count(verdict); i++) {
    mailproof_str result = mailproof_verdict_dkim_result(verdict, i);
    mailproof_str selector = mailproof_verdict_dkim_selector(verdict, i);
    printf("dkim: %.*s (s=%.*s)\n", (int)result.len, result.data, (int)selector.len, selector.data);
  }
  print_str("dmarc", mailproof_verdict_dmarc_result(verdict));

  mailproof_verdict_free(verdict);
  mailproof_authenticator_free(auth);
  mailproof_signed_free(signed_message);
  free(message);
  mailproof_signer_free(signer);
  mailproof_error_free(error);
  return 0;
}
