# What a valid token exports (r->user, OAUTH_* env, OAuthTokenPassClaim headers) and what the access and error logs record.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Apache::Test qw(-withtestmore);
use Apache::TestRequest ();
use OT::Test;

my $run = sprintf '%d-%04d', $$, int rand 10000;
my $exp = now() + 600;
my $access_log = log_file('oauth_access.log');
my $error_log = log_file('error_log');

my ($t_env, $t_scp, $t_azp, $t_other, $t_log, $t_expired, $t_email, $t_pass,
    $t_noemail, $t_idtoken, $t_bad_iss, $t_login_aud) = mint_many(
    { alg => 'RS256', claims => claims(sub => "env-$run", client_id => 'client-env',
                                       scope => 'orders:read profile', exp => $exp) },
    { alg => 'RS256', claims => claims(scope => undef, scp => ['orders:write', 'orders:read']) },
    { alg => 'RS256', claims => claims(client_id => undef, azp => 'client-azp') },
    { alg => 'RS256', key => 'other1', claims => claims(iss => 'https://other.test/') },
    { alg => 'RS256', claims => claims(sub => "log-sub-$run", client_id => "log-client-$run") },
    { alg => 'RS256', claims => claims(exp => now() - 3600) },
    { alg => 'RS256', claims => claims(sub => 'alice', email => "bob-$run\@example.com") },
    { alg => 'RS256', claims => claims(email => 'carol@example.com') },
    { alg => 'RS256', claims => claims(email => undef) },
    { alg => 'RS256', typ => 'JWT', claims => claims(nonce => 'n-0S6_WzA2Mj') },
    { alg => 'RS256', claims => claims(iss => 'https://evil.test/') },
    { alg => 'RS256', typ => 'JWT', claims => claims(aud => 'login-client', azp => 'login-client',
                                                     client_id => undef) },
);

plan tests => 29;

sub GET { Apache::TestRequest::GET(@_) }

# --- OAUTH_* environment, echoed by mod_headers
{
    my $res = GET_bearer('/default/api/orders.json', $t_env);
    is($res->code, 200, 'valid token served');
    is($res->header('X-Oauth-Sub'), "env-$run", 'OAUTH_SUB is the subject');
    is($res->header('X-Oauth-Issuer'), 'https://issuer.test/', 'OAUTH_ISSUER is the issuer');
    is($res->header('X-Oauth-Client-Id'), 'client-env', 'OAUTH_CLIENT_ID is client_id');
    is($res->header('X-Oauth-Scope'), 'orders:read profile', 'OAUTH_SCOPE lists the scopes');
    is($res->header('X-Oauth-Exp'), "$exp", 'OAUTH_TOKEN_EXP is exp');

    $res = GET_bearer('/scp/api/orders.json', $t_scp);
    is($res->header('X-Oauth-Scope'), 'orders:write orders:read',
       'OAUTH_SCOPE from the scp array, space-joined');
    $res = GET_bearer('/default/api/orders.json', $t_azp);
    is($res->header('X-Oauth-Client-Id'), 'client-azp', 'OAUTH_CLIENT_ID falls back to azp');
    $res = GET_bearer('/default/api/orders.json', $t_other);
    is($res->header('X-Oauth-Issuer'), 'https://other.test/', 'OAUTH_ISSUER of the second issuer');

    $res = GET_bearer('/default/api/orders.json', $t_expired);
    is($res->header('X-Oauth-Sub') // '(null)', '(null)', 'a refused token exports no OAUTH_SUB');
}

# --- access log: %u is the subject, OAUTH_CLIENT_ID is there
{
    my $off = log_offset($access_log);
    GET_bearer("/default/api/orders.json?n=ok-$run", $t_log);
    my @lines = wait_for_log($access_log, $off, qr/\?n=ok-\Q$run\E /);
    is($lines[0] // '(no line)',
       qq{127.0.0.1 log-sub-$run log-client-$run "GET /default/api/orders.json?n=ok-$run HTTP/1.1" 200},
       'access log line names subject and client');

    $off = log_offset($access_log);
    GET_bearer("/default/api/orders.json?n=refused-$run", $t_expired);
    @lines = wait_for_log($access_log, $off, qr/\?n=refused-\Q$run\E /);
    is($lines[0] // '(no line)',
       qq{127.0.0.1 - - "GET /default/api/orders.json?n=refused-$run HTTP/1.1" 401},
       'a refused request logs no user and no client');

    $off = log_offset($access_log);
    my $res = GET_bearer("/subject-email/api/orders.json?n=email-$run", $t_email);
    is($res->code, 200, 'OAuthTokenSubjectClaim email: served');
    @lines = wait_for_log($access_log, $off, qr/\?n=email-\Q$run\E /);
    like($lines[0] // '(no line)', qr/^127\.0\.0\.1 bob-\Q$run\E\@example\.com client-1 "GET /,
         'OAuthTokenSubjectClaim email: %u is the email');
}

# --- OAuthTokenPassClaim: set from the claim, client copies always removed
{
    my $forged = 'forged@evil.test';
    my $res = GET_bearer('/pass/api/orders.json', $t_pass);
    is($res->header('X-Seen-Email'), 'carol@example.com', 'X-Email set from the email claim');

    $res = GET_bearer('/pass/api/orders.json', $t_pass, 'X-Email' => $forged);
    is($res->code, 200, 'valid token with a client-sent X-Email: served');
    is($res->header('X-Seen-Email'), 'carol@example.com', '... and the backend sees the claim, not the forgery');

    $res = GET_bearer('/pass/api/orders.json', $t_noemail, 'X-Email' => $forged);
    is($res->code, 200, 'token without an email claim: served');
    is($res->header('X-Seen-Email'), '', '... and the client-sent X-Email was removed');

    $res = GET('/open-pass/api/public.txt', 'X-Email' => $forged);
    is($res->code, 200, 'unprotected location with OAuthTokenPassClaim: served');
    is($res->header('X-Seen-Email'), '', '... and the client-sent X-Email was removed');

    $res = GET('/open-pass/api/public.txt', 'X-Email' => $forged, Authorization => "Bearer $t_pass");
    is($res->header('X-Seen-Email'), '',
       '... also when a token is sent to the unprotected location');
}

# --- error log: each refusal logged once at info with an APLOGNO of our block
{
    my $off = log_offset($error_log);
    GET_bearer("/default/api/orders.json?n=errlog-$run", $t_bad_iss);
    my @lines = wait_for_log($error_log, $off, qr/\[oauth_token:info\].*\bAH99\d{3}\b/);
    ok(scalar @lines, 'a refusal is logged at info with an AH99xxx tag')
        or diag(log_since($error_log, $off) =~ /(.*oauth_token.*)/g);
    sleep 1;    # let a second line, if any, arrive
    my @all = grep { /\[oauth_token:info\]/ } split /\n/, log_since($error_log, $off);
    is(scalar @all, 1, 'exactly one info line for that refusal')
        or diag(join "\n", @all);
    my ($sig) = $t_bad_iss =~ /([^.]+)$/;
    ok(!grep({ index($_, $sig) >= 0 || index($_, $t_bad_iss) >= 0 } @all),
       'the log line does not contain the token');

    $off = log_offset($error_log);
    GET_bearer("/widetyp/api/orders.json?n=idtoken-$run", $t_idtoken);
    @lines = wait_for_log($error_log, $off, qr/\[oauth_token:info\].*\bAH99\d{3}\b/);
    ok(scalar @lines, 'an ID token presented as access token is logged at info');
    like(join("\n", @lines), qr/\bID[ -]?token\b/i, '... with a line that says it looked like an ID token');

    # aud = the OAuthTokenClient login client: refused as an ID token, not
    # merely as a wrong audience.
    $off = log_offset($error_log);
    GET_bearer("/widetyp/api/orders.json?n=loginaud-$run", $t_login_aud);
    @lines = wait_for_log($error_log, $off, qr/\[oauth_token:info\].*\bAH99\d{3}\b/);
    ok(scalar @lines, 'a token whose aud is the login client is logged at info');
    like(join("\n", @lines), qr/\bID[ -]?token\b/i, '... as an ID token');
}
