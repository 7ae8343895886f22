# Introspection (RFC 7662) of opaque tokens at a real provider: active, inactive, revoked, provider failing or stalled (503), claims and scopes from the answer, OAuthTokenIntrospect always, client_secret_post.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Apache::Test qw(-withtestmore);
use Apache::TestRequest ();
use OT::Test;
use OT::Provider;
use Time::HiRes qw(time sleep);

my $idp = OT::Provider::need('idp');
my $total_timeout = 2;    # OAuthTokenHTTPTimeout in extra.conf.in
my $error_log = log_file('error_log');
my $access_log = log_file('oauth_access.log');
my $run = sprintf '%d-%04d', $$, int rand 10000;
my $introspection_url = $idp->url . '/token/introspection';

sub opaque {
    my (%o) = @_;
    return $idp->client_credentials_token(resource => 'https://opaque.test', scope => 'orders:read', %o);
}
sub jwt { $idp->client_credentials_token(resource => 'https://api.test', scope => 'orders:read') }

# Introspection requests the fixture got while $code ran.
sub introspections {
    my ($code) = @_;
    $idp->reset_counts;
    my @r = $code->();
    return ($idp->counts->{introspection}, @r);
}

END { eval { $idp->fail('none') } if $idp }

# The main server has no OAuthTokenIntrospection: an opaque token is just not a JWT there.
{
    my $o = opaque();
    my ($n, $res) = introspections(sub { GET_bearer('/opaque/api/orders.json', $o) });
    no_problems('main server (no introspection configured): opaque token -> 401',
                OT::Provider::invalid_token_problems($res));
    is($n, 0, 'main server: nothing introspected');
}

OT::Provider::on_vhost('ot_introspect', sub {
    # --- active
    {
        my $o = opaque();
        my $off = log_offset($access_log);
        my ($n, $res) = introspections(sub { GET_bearer("/opaque/api/orders.json?n=active-$run", $o) });
        no_problems('active opaque token -> 200', accepted($res, 'rs-client'));
        is($n, 1, 'one introspection request');
        is($res->header('X-Oauth-Issuer'), $idp->url, 'OAUTH_ISSUER from the introspection answer');
        is($res->header('X-Oauth-Client-Id'), 'rs-client', 'OAUTH_CLIENT_ID from the introspection answer');
        is($res->header('X-Oauth-Scope'), 'orders:read', 'OAUTH_SCOPE from the introspection answer');
        my $exp = $res->header('X-Oauth-Exp') // '';
        ok($exp =~ /^\d+$/ && abs($exp - (time + 600)) < 120, "OAUTH_TOKEN_EXP is the token's exp ($exp)");
        my @lines = wait_for_log($access_log, $off, qr/\?n=active-\Q$run\E /);
        like($lines[0] // '(no line)', qr{^127\.0\.0\.1 rs-client rs-client "GET /opaque/api/orders\.json\?n=active-\Q$run\E HTTP/1\.1" 200$},
             'access log: %u is the introspected sub');

        no_problems('scope from introspection: Require oauth-scope orders:write without it -> 403',
                    bearer_challenge_is(GET_bearer('/opaque-write/api/orders.json', $o),
                                        status => 403, error => 'insufficient_scope', scope => 'orders:write'));
        no_problems('scope from introspection: with orders:write -> 200',
                    accepted(GET_bearer('/opaque-write/api/orders.json', opaque(scope => 'orders:read orders:write')), 'rs-client'));
    }

    # --- inactive
    {
        my ($n, $res) = introspections(sub { GET_bearer('/opaque/api/orders.json', "no-such-token-$run") });
        no_problems('unknown opaque token (active:false) -> 401 "token not active"',
                    OT::Provider::invalid_token_problems($res, 'token not active'));
        is($n, 1, 'it was introspected');

        my $o = opaque();
        $idp->revoke($o);
        no_problems('revoked before first use -> 401 "token not active"',
                    OT::Provider::invalid_token_problems(GET_bearer('/opaque/api/orders.json', $o), 'token not active'));

        $o = opaque();
        no_problems('OAuthTokenIntrospectionCacheTTL 0: active -> 200',
                    accepted(GET_bearer('/opaque-ttl0/api/orders.json', $o), 'rs-client'));
        $idp->revoke($o);
        ($n, $res) = introspections(sub { GET_bearer('/opaque-ttl0/api/orders.json', $o) });
        no_problems('OAuthTokenIntrospectionCacheTTL 0: revoked -> 401 at once',
                    OT::Provider::invalid_token_problems($res, 'token not active'));
        is($n, 1, 'TTL 0: asked again');
    }

    # --- the answer's aud is checked like a JWT's
    {
        no_problems('opaque token for https://opaque.test at a location for https://api.test -> 401',
                    OT::Provider::invalid_token_problems(GET_bearer('/idp/api/orders.json', opaque())));
        my $no_aud = $idp->client_credentials_token(scope => 'orders:read');
        no_problems('opaque token without aud -> 401',
                    OT::Provider::invalid_token_problems(GET_bearer('/opaque/api/orders.json', $no_aud)));
    }

    # --- introspection endpoint failing: 503, and the failure is not remembered
    {
        my $o = opaque();
        $idp->fail('introspection', status => 500);
        my $off = log_offset($error_log);
        my ($res, $s) = OT::Provider::timed(sub { GET_bearer('/opaque/api/orders.json', $o) });
        no_problems('introspection endpoint answers 500 -> 503 with Retry-After',
                    OT::Provider::unavailable_problems($res));
        my @lines = wait_for_log($error_log, $off, qr/AH99\d{3}.*\Q$introspection_url\E/);
        ok(@lines, 'an AH99xxx error-log line names the introspection URL')
            or diag(log_since($error_log, $off) || '(nothing logged)');

        $idp->fail('introspection', delay_ms => 10000);
        ($res, $s) = OT::Provider::timed(sub { GET_bearer('/opaque/api/orders.json', $o) });
        no_problems('introspection endpoint stalls -> 503', OT::Provider::unavailable_problems($res));
        ok($s < $total_timeout + 1, sprintf('... within the HTTP timeout (%.2f s)', $s));

        $idp->fail('none');
        no_problems('endpoint back: the same token -> 200 (failures are not cached)',
                    accepted(GET_bearer('/opaque/api/orders.json', $o), 'rs-client'));
    }

    # --- OAuthTokenIntrospect always: JWTs go to the provider too
    {
        my ($j1, $j2) = (jwt(), jwt());
        my ($n, $res) = introspections(sub { GET_bearer('/always/api/orders.json', $j1) });
        is($n, 1, 'OAuthTokenIntrospect always: a JWT is introspected');
        # oidc-provider answers 400 unsupported_token_type for its JWTs: never accepted.
        ok($res->code == 401 || $res->code == 503,
           sprintf('... and not accepted when the provider cannot introspect it (%d)', $res->code));

        ($n, $res) = introspections(sub { GET_bearer('/idp/api/orders.json', $j2) });
        no_problems('the same kind of JWT at a location without "always" -> 200', accepted($res, 'rs-client'));
        is($n, 0, '... verified locally, not introspected');
        ($n, $res) = introspections(sub { GET_bearer('/always/api/orders.json', $j2) });
        is($n, 1, 'a JWT verified locally elsewhere is still introspected at an "always" location (README)');
        isnt($res->code, 200, '... and not served from the local check\'s cache entry');
    }
});

# --- client_secret_post with the secret in a file
OT::Provider::on_vhost('ot_introspect_post', sub {
    my ($n, $res) = introspections(sub { GET_bearer('/opaque/api/orders.json', opaque()) });
    no_problems('client_secret_post, file: secret: active opaque token -> 200', accepted($res, 'rs-client'));
    is($n, 1, '... after one introspection request');
});

done_testing();
