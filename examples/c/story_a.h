/*
 * The DNS records of story (a) (testdata/stories/README.md) as an in-memory table, served
 * through mailproof's callback resolver. Shared by verify.c and test_api.c.
 */
#ifndef MAILPROOF_EXAMPLE_STORY_A_H
#define MAILPROOF_EXAMPLE_STORY_A_H

#include <string.h>

#include "mailproof.h"

/* The records story (a) needs, as a DNS server would hold them. */
struct record {
  const char *name;
  const char *type; /* "TXT" or "A" */
  const char *value;
};

static const struct record RECORDS[] = {
    {"a.com", "TXT", "v=spf1 a mx ip4:173.10.10.10 -all"},
    {"a.com", "A", "203.0.113.10"},
    {"_dmarc.a.com", "TXT", "v=DMARC1; p=reject"},
    {"fake.com", "TXT", "v=spf1 ip4:203.0.113.66 -all"},
    {"mail.fake.com", "TXT", "v=spf1 a -all"},
    {"mail.fake.com", "A", "203.0.113.66"},
    {"s1._domainkey.fake.com", "TXT",
     "v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAvnOWI+iN6CIRqrsAZzIp4qL63luY3Vg"
     "GUJ0834Wh/EAh9MQ7bMgRxS4yRiX5Z7Ywo17j1g/zvE+q9cLjARRgyitIwVEHrLLXpU55EKzBnMRKXzydIrgHQ95/UB2"
     "pzoVXWde/0/fuUrpeHUDC1TS9mjKkV/2MOvr1I7z0RXniezHb2/B2bN9746Qspt01aHjiuXoSUvv1s8qKNroQMZtHUS/"
     "+6CQePBr/UfQAVyQjeiZkU5zWeNq7Evc0C5gzT4IGkz0TZesYBmTLENuVxUrSCbLqqX8X9/TuliHl/5zeyMutk/Au4fmb"
     "BAhbwj8t5pMbnR1EC+0JyEKMRNFv6VyGXQIDAQAB"},
};
static const size_t RECORD_COUNT = sizeof RECORDS / sizeof RECORDS[0];

/* One lookup: records of `type` at `name`, NODATA when the name has only other types,
 * NXDOMAIN when it is not in the table. `user_data` counts the lookups. */
static int lookup(const char *type, void *user_data, const char *name, mailproof_answer *answer) {
  /* Atomic: callbacks run concurrently when several threads verify. */
  __atomic_fetch_add((unsigned *)user_data, 1, __ATOMIC_RELAXED);
  int name_exists = 0, found = 0;
  for (size_t i = 0; i < RECORD_COUNT; i++) {
    if (strcmp(RECORDS[i].name, name) != 0) continue;
    name_exists = 1;
    if (strcmp(RECORDS[i].type, type) != 0) continue;
    found = 1;
    if (strcmp(type, "TXT") == 0) {
      mailproof_answer_add_txt(answer, (const uint8_t *)RECORDS[i].value, strlen(RECORDS[i].value));
    } else {
      mailproof_answer_add_a(answer, RECORDS[i].value);
    }
  }
  mailproof_answer_set_ttl(answer, 300);
  if (found) return MAILPROOF_DNS_STATUS_RECORDS;
  return name_exists ? MAILPROOF_DNS_STATUS_NODATA : MAILPROOF_DNS_STATUS_NXDOMAIN;
}

static int lookup_txt(void *user_data, const char *name, size_t name_len, mailproof_answer *answer) {
  (void)name_len;
  return lookup("TXT", user_data, name, answer);
}

static int lookup_a(void *user_data, const char *name, size_t name_len, mailproof_answer *answer) {
  (void)name_len;
  return lookup("A", user_data, name, answer);
}

/* Anything else: the names exist or not as for A, without records of the type. */
static int lookup_other(void *user_data, const char *name, size_t name_len, mailproof_answer *answer) {
  (void)name_len;
  return lookup("other", user_data, name, answer);
}

/* The callbacks over the table; `counter` (an unsigned) counts the lookups. */
static mailproof_resolver_callbacks story_a_callbacks(unsigned *counter) {
  mailproof_resolver_callbacks callbacks = {
      .user_data = counter,
      .txt = lookup_txt,
      .a = lookup_a,
      .aaaa = lookup_other,
      .mx = lookup_other,
      .ptr = lookup_other,
  };
  return callbacks;
}

#endif
