/* Helpers shared by the C examples and tests of mailproof (examples/c/run.sh builds them). */
#ifndef MAILPROOF_EXAMPLE_COMMON_H
#define MAILPROOF_EXAMPLE_COMMON_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mailproof.h"

/* Reads a whole file; exits on failure. Free the result with free(). */
__attribute__((unused)) static unsigned char *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (f == NULL) {
    perror(path);
    exit(2);
  }
  size_t cap = 4096, n = 0;
  unsigned char *buf = malloc(cap);
  size_t got;
  while (buf != NULL && (got = fread(buf + n, 1, cap - n, f)) > 0) {
    n += got;
    if (n == cap) {
      cap *= 2;
      unsigned char *bigger = realloc(buf, cap);
      if (bigger == NULL) {
        free(buf);
        buf = NULL;
      } else {
        buf = bigger;
      }
    }
  }
  fclose(f);
  if (buf == NULL) {
    fprintf(stderr, "out of memory reading %s\n", path);
    exit(2);
  }
  *len = n;
  return buf;
}

/* Reads a whole file as a NUL-terminated string; exits on failure. Free it with free(). */
__attribute__((unused)) static char *read_text(const char *path) {
  size_t len;
  unsigned char *bytes = read_file(path, &len);
  char *text = realloc(bytes, len + 1);
  if (text == NULL) exit(2);
  text[len] = '\0';
  return text;
}

/* Prints a mailproof_str, or "(absent)". */
__attribute__((unused)) static void print_str(const char *label, mailproof_str s) {
  if (s.data == NULL) {
    printf("%s: (absent)\n", label);
  } else {
    printf("%s: %.*s\n", label, (int)s.len, s.data);
  }
}

/* Exits with the error's code and message when `ok` is false. */
__attribute__((unused)) static void check(int ok, const mailproof_error *error, const char *what) {
  if (!ok) {
    mailproof_str message = mailproof_error_message(error);
    fprintf(stderr, "%s failed: code %d: %.*s\n", what, (int)mailproof_error_code(error),
            (int)message.len, message.data);
    exit(1);
  }
}

#endif
