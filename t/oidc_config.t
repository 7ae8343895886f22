# `httpd -t` on AuthType OIDC configurations (issue 4): a complete login configuration passes
# (also with a Redis session store); a missing or broken login directive is refused with a
# message naming the directive.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Apache::Test qw(-withtestmore);
use OT::Test;

my $libexec = apxs_query('LIBEXECDIR');
my $redis_module = qq{LoadModule socache_redis_module "$libexec/mod_socache_redis.so"\n};

my %part = (
    issuer   => "OAuthTokenIssuer https://idp.example.com/\n",
    client   => "OAuthTokenClient web-client web-client-secret\n",
    redirect => "OAuthTokenRedirectURI /oidc/callback\n",
    paths    => "OAuthTokenLogoutPath /oidc/logout\nOAuthTokenBackChannelLogoutPath /oidc/backchannel\n",
);
sub conf {
    my (%o) = @_;
    my %p = (%part, %{ $o{replace} || {} });
    my $loc = join "\n", '<Location /app>', '    AuthType OIDC', (map { "    $_" } @{ $o{location} || [] }),
        '    Require valid-user', '</Location>', '';
    return join '', ($o{before} // ''), (map { $p{$_} // '' } qw(issuer client redirect paths)), ($o{global} // ''), $loc;
}

# [name, config, directive the message must name (undef: must pass)]
my @cases = (
    ['a complete login configuration', conf(location => ['OAuthTokenLoginScope profile email',
        'OAuthTokenSessionTimeout 900 3600', 'OAuthTokenSessionCookie app_session', 'OAuthTokenPassAccessToken On',
        'OAuthTokenPassClaim email X-Email', 'Require oauth-claim groups staff']), undef],
    ['the secret in a file, client_secret_post', conf(replace => { client => "OAuthTokenClient web-client file:/etc/hostname post\n" }), undef],
    ['sessions in Redis', conf(before => $redis_module, global => "OAuthTokenSessionStore redis:127.0.0.1:6379\n"), undef],
    ['no OAuthTokenClient', conf(replace => { client => '' }), 'OAuthTokenClient'],
    ['OAuthTokenClient without a secret', conf(replace => { client => "OAuthTokenClient web-client\n" }), 'OAuthTokenClient'],
    ['OAuthTokenClient before any issuer', conf(replace => { issuer => '' }), 'OAuthTokenClient'],
    ['no OAuthTokenRedirectURI', conf(replace => { redirect => '' }), 'OAuthTokenRedirectURI'],
    ['OAuthTokenRedirectURI an absolute URL', conf(replace => { redirect => "OAuthTokenRedirectURI https://evil.example/cb\n" }), 'OAuthTokenRedirectURI'],
    ['OAuthTokenRedirectURI //host/path', conf(replace => { redirect => "OAuthTokenRedirectURI //evil.example/cb\n" }), 'OAuthTokenRedirectURI'],
    ['OAuthTokenLogoutPath not a path', conf(replace => { paths => "OAuthTokenLogoutPath logout\n" }), 'OAuthTokenLogoutPath'],
    ['OAuthTokenSessionTimeout 0', conf(location => ['OAuthTokenSessionTimeout 0 60']), 'OAuthTokenSessionTimeout'],
    ['OAuthTokenSessionTimeout MAX below IDLE', conf(location => ['OAuthTokenSessionTimeout 600 60']), 'OAuthTokenSessionTimeout'],
    ['OAuthTokenSessionCookie with a bad name', conf(location => ['OAuthTokenSessionCookie "a;b"']), 'OAuthTokenSessionCookie'],
    ['OAuthTokenSessionStore redis without mod_socache_redis', conf(global => "OAuthTokenSessionStore redis:127.0.0.1:6379\n"), 'OAuthTokenSessionStore'],
);

plan tests => 2 * @cases;

for my $c (@cases) {
    my ($name, $config, $directive) = @$c;
    my ($status, $out) = httpd_config_test($config);
    if (!defined $directive) {
        is($status, 0, "$name: httpd -t passes") or diag $out;
        ok($out !~ /oauth_token:(?:emerg|error)/, "$name: no error logged") or diag $out;
    }
    else {
        isnt($status, 0, "$name: httpd -t refuses") or diag $out;
        like($out, qr/\Q$directive\E/, "$name: the message names $directive") or diag $out;
    }
}
