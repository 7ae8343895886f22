# AuthType OIDC in a real browser (issue 4): Debian's chromium through t/browser/run.mjs. An XHR
# without a session gets 401; alice's full login lands on the page first asked for; the cookies as
# the browser keeps them; logout at the provider and back; the provider's error answer (the user
# cancels) is a page. Prints the time of one full browser login ("browser login: N ms").
# The module runs on localhost:PORT, the provider on 127.0.0.1:PORT: two sites, as in real life.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Apache::Test qw(-withtestmore);
use Apache::TestRequest ();
use JSON::PP ();
use OT::Test;
use OT::Provider;
use OT::OIDC;

BEGIN { require "$FindBin::Bin/browser/Browser.pm" }

my $idp = OT::Provider::need('login');
if (my $why = OT::Browser::unavailable()) {
    # A missing browser is a failure of this file, never a skip.
    plan tests => 1;
    ok(0, 'the scripted browser (t/browser) can run');
    diag "browser unavailable: $why";
    exit 1;
}

my $T = JSON::PP::true;
my $base = Apache::TestRequest::module2url('ot_oidc', { path => '/' });
$base =~ s{/$}{};
my $ibase = $idp->base;
my $access_log = log_file('oauth_access.log');
my $run = sprintf '%d-%04d', $$, int rand 10000;
my $page = "/app/api/orders.json?from=browser&run=$run";

eval { $idp->fail('none'); $idp->tamper_id_token(off => 1); $idp->config(default_resource => '', auto_login => ''); 1 }
    or diag "resetting the login fixture: $@";

my $off = log_offset($access_log);
my $r = OT::Browser::run_script([
    { goto => "$base/index.html" },                                                        # 0
    { fetch => { url => '/app/api/orders.json', via => 'page' } },                          # 1
    { goto => "$base$page" },                                                               # 2
    { login => { username => 'alice', password => 'alice-password' } },                    # 3
    { cookies => $T },                                                                      # 4
    { fetch => { url => '/app/api/orders.json?xhr=1', via => 'page' } },                    # 5
    { goto => "$base/oidc/logout" },                                                        # 6
    { click => '#logout-yes' },                                                             # 7
    { wait_url => '^' . quotemeta("$base/") . '$' },                                        # 8
    { cookies => $T },                                                                      # 9
    { fetch => { url => '/app/api/orders.json?after=logout', via => 'page' } },             # 10
    { goto => "$base/app/api/orders.json?again=1" },                                        # 11
    { click => '#abort' },                                                                  # 12
    { cookies => $T },                                                                      # 13
], timeout_ms => 90000);
my @s = @{ $r->{steps} || [] };
ok($r->{ok}, 'the browser script ran every step') or diag OT::Browser::failure($r);
diag "chromium $r->{browser}{version}" if $r->{browser};

# --- an XHR from a page of the site, no session
{
    my $f = $s[1]{fetch} || {};
    is($f->{status}, 401, 'fetch() from the page without a session: 401');
    ok(!$f->{redirected}, '... not redirected to the provider');
}

# --- the login
{
    like($s[2]{url} // '', qr{^\Q$ibase\E/interaction/}, 'a page load without a session ends on the provider\'s login page');
    is($s[3]{url}, "$base$page", 'after signing in: back on the page first asked for, query included');
    is($s[3]{status}, 200, '... served (200)');
    like($s[3]{text} // '', qr/"item":"tea"/, '... the real page');
    my @hops = @{ $s[3]{navigations} || [] };
    ok((grep { m{^GET \Q$base\E/oidc/callback\?code=} } @hops), 'the way back went through the callback')
        or diag join "\n", @hops;
    my @lines = wait_for_log($access_log, $off, qr/ alice web-client "GET \Q$page\E HTTP\/1\.1" 200$/);
    ok(@lines, '%u in the access log: alice, for the browser\'s page load') or diag log_since($access_log, $off);
    my $ms = ($s[2]{elapsed_ms} // 0) + ($s[3]{elapsed_ms} // 0);
    diag "browser login: $ms ms";
    ok($ms > 0 && $ms < 30000, "one full browser login took $ms ms (page load, provider form, callback, page)");
}

# --- the cookies as the browser keeps them
{
    my $c = OT::Browser::cookie($s[4], 'oauth_session') || {};
    like($c->{value} // '', qr/^[A-Za-z0-9_-]{43}$/, 'the browser keeps oauth_session');
    is(join(' ', map { $_ // '-' } @$c{qw(path sameSite)}), '/ Lax', 'oauth_session: Path=/, SameSite=Lax');
    ok($c->{httpOnly}, 'oauth_session: HttpOnly');
    ok(!$c->{secure}, 'oauth_session: not Secure on http');
    is($c->{expires}, -1, 'oauth_session: a session cookie (no Max-Age, no Expires)');
    is($c->{domain}, 'localhost', 'oauth_session: host-only (no Domain attribute)');
    my @left = grep { $_->{name} =~ /^oauth_login_/ } @{ $s[4]{cookies} || [] };
    is(scalar @left, 0, 'no binding cookie left after the login') or diag JSON::PP->new->encode(\@left);
    my $f = $s[5]{fetch} || {};
    is($f->{status}, 200, 'fetch() from the page with the session: 200');
}

# --- logout at the provider and back
{
    like($s[6]{url} // '', qr{^\Q$ibase\E/session/end}, 'logout: the browser is at the provider\'s end_session page');
    is($s[8]{url}, "$base/", 'after confirming: back on post_logout_redirect_uri');
    is(OT::Browser::cookie($s[9], 'oauth_session'), undef, 'the session cookie is gone');
    is(($s[10]{fetch} || {})->{status}, 401, 'fetch() after logout: 401');
    like($s[11]{url} // '', qr{^\Q$ibase\E/interaction/}, 'the next page load shows the provider\'s login form again');
}

# --- the user cancels at the provider: error=access_denied back at the callback
{
    like($s[12]{url} // '', qr{^\Q$base\E/oidc/callback\?error=access_denied}, 'cancel: the provider answers the callback with error=access_denied');
    is($s[12]{status}, 400, 'cancel: a 400 page');
    like($s[12]{text} // '', qr/access_denied/, 'cancel: the page says so');
    is(OT::Browser::cookie($s[13], 'oauth_session'), undef, 'cancel: no session');
}

my @blocked = grep { defined $_->{step} } @{ $r->{blocked} || [] };
is(scalar @blocked, 0, 'no page asked for anything off loopback') or diag JSON::PP->new->encode(\@blocked);
done_testing();
