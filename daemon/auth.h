/*
 * auth.h -- passwords: scrypt hashes through OpenSSL's EVP_KDF "SCRYPT",
 * the password policy, and the lockout rule.
 *
 * Hash string: "$scrypt$ln=<log2 N>,r=<r>,p=<p>$<salt b64>$<hash b64>"
 * with a 16-byte random salt and a 32-byte derived key.  The shipped cost
 * is N=2^17, r=8, p=1 (128 MiB); the KDF's memory cap is raised to fit.
 * The cost is a config setting so tests can run fast; auth_cost_weak()
 * says when the cost in force is below the shipped one.
 */
#ifndef CUSTODY_AUTH_H
#define CUSTODY_AUTH_H

#include <stddef.h>
#include <stdint.h>

#define AUTH_HASH_MAX		160
#define AUTH_MIN_PASSWORD	12
#define AUTH_MAX_PASSWORD	1024
#define AUTH_DEFAULT_LOG2N	17
#define AUTH_DEFAULT_R		8
#define AUTH_DEFAULT_P		1
#define AUTH_LOCK_FAILURES	5	/* failures in a row that lock */
#define AUTH_LOCK_SECONDS	(15 * 60)

struct auth_cost {
	unsigned int	log2n;	/* 10..22 */
	unsigned int	r;	/* 1..32 */
	unsigned int	p;	/* 1..16 */
};

/* The shipped cost. */
void	auth_cost_default(struct auth_cost *c);
/* 1 if c is weaker than the shipped cost. */
int	auth_cost_weak(const struct auth_cost *c);

/*
 * Hashes password (len bytes) with a fresh salt into out (AUTH_HASH_MAX).
 * Zeroes its own copies of derived material.
 */
int	auth_hash(const char *password, size_t len, const struct auth_cost *c,
	    char *out, size_t outlen);

/*
 * Returns 0 if password matches hash (constant-time comparison),
 * CUSTODY_ERR_VERIFY if it does not, CUSTODY_ERR_INVAL for a malformed
 * hash string.  The cost is read from the hash itself.
 */
int	auth_verify(const char *password, size_t len, const char *hash);

/*
 * Checks a new password against the policy: at least AUTH_MIN_PASSWORD
 * characters, at most AUTH_MAX_PASSWORD, not containing the user name
 * (case-insensitive), not in the shipped list of common passwords
 * (case-insensitive), not one character repeated.  Returns 0 or -1 with
 * a one-line reason in why (never echoing the password).
 */
int	auth_policy_check(const char *user, const char *password, size_t len,
	    char *why, size_t whylen);

/*
 * The lockout rule, pure: given the failures in a row so far and the
 * time the account is locked until (0 if not), at time now (seconds):
 *  auth_locked() is 1 while now < locked_until;
 *  auth_after_failure() returns the new locked_until after one more
 *  failure (now + AUTH_LOCK_SECONDS when the count reaches
 *  AUTH_LOCK_FAILURES, else the old value).
 */
int	auth_locked(int64_t locked_until, int64_t now);
int64_t	auth_after_failure(unsigned int failures_after, int64_t locked_until,
	    int64_t now);

#endif
