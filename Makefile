# Licensed under the Apache License, Version 2.0 (see LICENSE).
#
#   make            build the module, the core library and oauth-token-check
#   make test       C unit tests of the core, then the Apache::Test suite
#   make demo       start a throw-away httpd protecting /api on 127.0.0.1
#   make bench      benchmark against no auth and the other modules (bench/README.md)
#   make install    install the module through apxs
#   make sanitize   core unit tests under AddressSanitizer + UBSan
#   make WERROR=1   warnings are errors (CI)

ifeq ($(filter clean distclean,$(MAKECMDGOALS)),)
-include config.mk
endif

B        := build
VECTORS  ?= $(abspath ../shared/vectors)
WARN     := -Wall -Wextra
ifeq ($(WERROR),1)
WARN     += -Werror
endif
OPT      ?= -O2 -g
BASE_CFLAGS = $(OPT) -fPIC $(WARN) -Isrc $(APR_CFLAGS) $(OPENSSL_CFLAGS) \
              $(JANSSON_CFLAGS) $(CURL_CFLAGS)
CORE_LIBS = $(OPENSSL_LIBS) $(JANSSON_LIBS) $(CURL_LIBS) $(APR_LIBS)

CORE_SRC := $(wildcard src/util/*.c src/jose/*.c src/token/*.c src/fetch/*.c \
                        src/store/*.c src/oidc/*.c)
GLUE_SRC := mod_oauth_token.c $(wildcard src/httpd/*.c)
UNIT_SRC := $(wildcard t/unit/test_*.c)
HEADERS  := $(wildcard src/*.h src/*/*.h t/unit/*.h)

CORE_OBJ := $(CORE_SRC:%.c=$(B)/%.o)
GLUE_OBJ := $(GLUE_SRC:%.c=$(B)/%.o)
UNIT_BIN := $(UNIT_SRC:t/unit/%.c=$(B)/t/unit/%)

MODULE   := $(B)/mod_oauth_token.so
CHECKER  := $(B)/oauth-token-check

.PHONY: all test unit httpd-test demo bench install sanitize clean distclean
all: $(MODULE) $(CHECKER)

config.mk: configure.ac config.mk.in scripts/install-deps
	scripts/install-deps
	autoconf
	./configure

$(B)/libotcore.a: $(CORE_OBJ)
	rm -f $@
	ar rcs $@ $^

$(B)/src/httpd/%.o $(B)/mod_oauth_token.o: BASE_CFLAGS += $(HTTPD_CFLAGS)
$(B)/%.o: %.c $(HEADERS) config.mk
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) -c $< -o $@

$(MODULE): $(GLUE_OBJ) $(B)/libotcore.a
	$(CC) -shared -o $@ $(GLUE_OBJ) $(B)/libotcore.a $(CORE_LIBS)

$(CHECKER): tools/oauth-token-check.c $(B)/libotcore.a $(HEADERS)
	$(CC) $(BASE_CFLAGS) -o $@ $< $(B)/libotcore.a $(CORE_LIBS)

$(B)/t/unit/%: t/unit/%.c $(B)/libotcore.a $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) -o $@ $< $(B)/libotcore.a $(CORE_LIBS)

test: unit httpd-test

unit: $(UNIT_BIN)
	OT_VECTORS=$(VECTORS) prove --exec '' $(UNIT_BIN)

httpd-test: $(MODULE) $(CHECKER) node_modules/.package-lock.json
	t/run-httpd-tests $(APXS)

# The test provider (t/idp) and its pinned packages.
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund

sanitize:
	$(MAKE) B=build-san OPT="-O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" \
	    CORE_LIBS="-fsanitize=address,undefined $(CORE_LIBS)" unit

demo: $(MODULE) node_modules/.package-lock.json
	scripts/demo $(HTTPD) $(HTTPD_LIBEXECDIR)

bench: $(MODULE) node_modules/.package-lock.json
	bench/run $(HTTPD) $(HTTPD_LIBEXECDIR)

install: $(MODULE)
	$(APXS) -i -n oauth_token $(MODULE)

clean:
	rm -rf build build-san t/logs t/conf/httpd.conf t/conf/extra.conf t/conf/apache_test_config.pm t/htdocs/index.html

distclean: clean
	rm -rf config.mk config.log config.status configure autom4te.cache node_modules
