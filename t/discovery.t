# Discovery from a real provider: OAuthTokenIssuer alone (RFC 8414 first, path insertion, OIDC fallback), pinned metadata and key set, issuer mix-up -> 503, provider tokens end to end.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Apache::Test qw(-withtestmore);
use Apache::TestRequest ();
use OT::Test;
use OT::Provider;

# This file must be the first to use these fixtures in a run: it checks what
# the module asked them for on first use (t/TEST.PL starts fresh ones).
my ($idp, $path, $fallback, $pinmeta, $pinjwks) =
    OT::Provider::need(qw(idp path fallback pinmeta pinjwks));
my $mixup = OT::Provider::env('OT_IDP_MIXUP_URL');
my $orders = '/idp/api/orders.json';
my $error_log = log_file('error_log');
my $access_log = log_file('oauth_access.log');
my $run = sprintf '%d-%04d', $$, int rand 10000;

sub cc_token {
    my ($idp, %o) = @_;
    return $idp->client_credentials_token(resource => 'https://api.test', scope => 'orders:read', %o);
}

# The metadata counters of a fixture, as one comparable string.
sub fetches {
    my ($idp) = @_;
    my $c = $idp->counts;
    return join ' ', map { "$_=$c->{$_}" } qw(oauth_authorization_server openid_configuration jwks other);
}

# --- issuer mix-up: metadata that names another issuer is refused (503), its keys never used
{
    # Signed with the main fixture's own key: a module that skipped the issuer
    # check would find that key through the document's jwks_uri and accept.
    my $kid = $idp->signing_kid('RS256');
    my ($t_mixup, $t_mixup2) = mint_many(map { {
        alg => 'RS256', key => $idp->private_pem($kid), kid => $kid,
        claims => claims(iss => $mixup, sub => "mixup-$_", client_id => 'rs-client'),
    } } 1, 2);
    my $before_jwks = $idp->counts->{jwks};
    $idp->reset_counts;
    my $off = log_offset($error_log);
    my $res = GET_bearer($orders, $t_mixup);
    no_problems("mix-up: metadata at $mixup says issuer " . $idp->url . ' -> 503',
                OT::Provider::unavailable_problems($res));
    my $c = $idp->counts;
    ok($c->{discovery} >= 1, "mix-up: the module did ask for $mixup\'s metadata (discovery=$c->{discovery})");
    # Only meaningful while the main fixture's keys are not cached yet: this
    # file runs first on fresh fixtures, and says so if it ever does not.
    is($before_jwks, 0, 'setup: nothing fetched the main fixture\'s keys before this file');
    is($c->{jwks}, 0, 'mix-up: the refused document\'s jwks_uri is never fetched');
    my @lines = wait_for_log($error_log, $off, qr/AH99\d{3}.*\Q$mixup\E/);
    ok(@lines, "mix-up: an AH99xxx error-log line names $mixup")
        or diag(log_since($error_log, $off) || '(nothing logged)');
    $res = GET_bearer($orders, $t_mixup2);
    no_problems('mix-up: still refused on the next request', OT::Provider::unavailable_problems($res));
}

# --- discovery alone, issuer with a path: RFC 8414 with path insertion, first
{
    my $c = $path->counts;
    is($c->{total}, 0, 'nothing was fetched from a provider before its first token (not at start-up)');
    my ($t1, $t2) = (cc_token($path), cc_token($path));
    no_problems('path issuer: provider token accepted through discovery', accepted(GET_bearer($orders, $t1), 'rs-client'));
    is(fetches($path), 'oauth_authorization_server=1 openid_configuration=0 jwks=1 other=0',
       'path issuer: /.well-known/oauth-authorization-server/op (path insertion) asked first, then jwks_uri');
    my $res = GET_bearer($orders, $t2);
    no_problems('path issuer: a second token accepted', accepted($res, 'rs-client'));
    is($res->header('X-Oauth-Issuer'), $path->url, 'OAUTH_ISSUER is the issuer with its path');
    is(fetches($path), 'oauth_authorization_server=1 openid_configuration=0 jwks=1 other=0',
       'path issuer: metadata and keys are cached (nothing fetched for the second token)');
}

# --- RFC 8414 document missing (404): OpenID Connect discovery
{
    my $t = cc_token($fallback);
    no_problems('RFC 8414 answers 404: token accepted through openid-configuration',
                accepted(GET_bearer($orders, $t), 'rs-client'));
    is(fetches($fallback), 'oauth_authorization_server=1 openid_configuration=1 jwks=1 other=0',
       'RFC 8414 asked first, then /.well-known/openid-configuration, then jwks_uri');
}

# --- OAuthTokenMetadataURL pins the document
{
    my $t = cc_token($pinmeta);
    no_problems('pinned metadata: token accepted', accepted(GET_bearer($orders, $t), 'rs-client'));
    is(fetches($pinmeta), 'oauth_authorization_server=0 openid_configuration=1 jwks=1 other=0',
       'pinned metadata: only the pinned document is asked (RFC 8414 never)');
}

# --- OAuthTokenJWKS URL pins the key set (the main fixture's, with the same keys)
{
    is(join(',', sort $pinjwks->kids), join(',', sort $idp->kids),
       'setup: the pinjwks fixture holds the main fixture\'s keys');
    my $t = cc_token($pinjwks);
    no_problems('pinned JWKS: token accepted', accepted(GET_bearer($orders, $t), 'rs-client'));
    is($pinjwks->counts->{jwks}, 0, 'pinned JWKS: the issuer\'s own jwks_uri is never fetched');

    # A key only the issuer's own jwks_uri has: the pinned set decides, so refused.
    my $new_kid = $pinjwks->rotate;
    my $t_new = cc_token($pinjwks);
    is(OT::Provider::jwt_header($t_new)->{kid}, $new_kid, 'setup: the new token carries the new kid');
    no_problems('pinned JWKS: a key that is only in the discovered jwks_uri is not trusted',
                OT::Provider::invalid_token_problems(GET_bearer($orders, $t_new)));
    is($pinjwks->counts->{jwks}, 0, 'pinned JWKS: the discovered jwks_uri is not asked for an unknown kid either');
}

# --- provider tokens end to end: env, access log, Require providers
{
    my $t = cc_token($idp);
    my $claims = OT::Provider::jwt_claims($t);
    is($claims->{sub}, 'rs-client', 'setup: a client_credentials token\'s sub is the client id');
    my $off = log_offset($access_log);
    my $res = GET_bearer("$orders?n=e2e-$run", $t);
    no_problems('main fixture: provider token accepted (discovery alone)', accepted($res, 'rs-client'));
    is($res->header('X-Oauth-Issuer'), $idp->url, 'OAUTH_ISSUER is the fixture\'s issuer');
    is($res->header('X-Oauth-Client-Id'), 'rs-client', 'OAUTH_CLIENT_ID is the client');
    is($res->header('X-Oauth-Scope'), 'orders:read', 'OAUTH_SCOPE is the granted scope');
    is($res->header('X-Oauth-Exp'), $claims->{exp}, 'OAUTH_TOKEN_EXP is the token\'s exp');
    my @lines = wait_for_log($access_log, $off, qr/\?n=e2e-\Q$run\E /);
    is($lines[0] // '(no line)',
       qq{127.0.0.1 rs-client rs-client "GET $orders?n=e2e-$run HTTP/1.1" 200},
       'access log: %u is the token\'s sub');

    no_problems('Require oauth-scope orders:write, token has orders:read -> 403',
                bearer_challenge_is(GET_bearer('/idp-write/api/orders.json', $t),
                                    status => 403, error => 'insufficient_scope', scope => 'orders:write'));
    my $tw = cc_token($idp, scope => 'orders:read orders:write');
    no_problems('Require oauth-scope orders:write, token has it -> 200',
                accepted(GET_bearer('/idp-write/api/orders.json', $tw), 'rs-client'));
    no_problems('Require oauth-claim realm_access.roles orders-admin (provider claim) -> 200',
                accepted(GET_bearer('/idp-admin/api/orders.json', $t), 'rs-client'));
    my $t2 = cc_token($idp, client => 'rs-client-2');
    no_problems('Require oauth-claim, a client without the role -> 403',
                bearer_challenge_is(GET_bearer('/idp-admin/api/orders.json', $t2),
                                    status => 403, error => 'insufficient_scope'));
    no_problems('a provider token for another resource (aud https://other.test) -> 401',
                OT::Provider::invalid_token_problems(
                    GET_bearer($orders, $idp->client_credentials_token(resource => 'https://other.test'))));
}

done_testing();
