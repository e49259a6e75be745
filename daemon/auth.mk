# auth.mk -- builds the list of common passwords that daemon/auth.c
# compiles in.  Included by the top-level Makefile after B and CFLAGS are
# set and after its first target (so "all" stays the default goal); the
# object $(AUTH_GEN_OBJ) goes wherever daemon/auth.o goes (LIB_OBJS).
#
# daemon/common-passwords.txt becomes $(AUTH_GEN_SRC), which defines
# auth_common_passwords[], NULL-terminated.  Only sed and awk are used:
# comment lines ('#') and blank lines are dropped, a trailing CR is
# dropped, entries are lowercased, and backslash, double quote and '?' are
# escaped ('?' so that no entry can form a trigraph under -std=c11).

AUTH_GEN_SRC	= $(B)/gen/common_passwords.c
AUTH_GEN_OBJ	= $(B)/gen/common_passwords.o

$(AUTH_GEN_SRC): daemon/common-passwords.txt daemon/auth.mk
	@mkdir -p $(@D)
	{ printf '%s\n' \
	    '/* Generated from daemon/common-passwords.txt by daemon/auth.mk. */' \
	    '#include <stddef.h>' '' \
	    'extern const char *const auth_common_passwords[];' '' \
	    'const char *const auth_common_passwords[] = {'; \
	  LC_ALL=C sed -e '/^#/d' -e 's/\\/\\\\/g' -e 's/"/\\"/g' \
	    -e 's/?/\\?/g' $< | \
	  LC_ALL=C awk '{ sub(/\r$$/, ""); if ($$0 ~ /^[ \t]*$$/) next; \
	    printf "\t\"%s\",\n", tolower($$0) }'; \
	  printf '\tNULL\n};\n'; } > $@.tmp
	mv -f $@.tmp $@

$(AUTH_GEN_OBJ): $(AUTH_GEN_SRC)
	$(CC) $(CFLAGS) -c -o $@ $<
