# Every refusal class answers 401 with the exact RFC 6750 challenge (and the controls next to them are accepted).
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Apache::Test qw(-withtestmore);
use JSON::PP ();
use OT::Test;

my $now = now();
my $HS = 'https://hs.test/';

sub read_json {
    my ($file) = @_;
    open my $fh, '<', $file or die "$file: $!";
    local $/;
    return JSON::PP::decode_json(<$fh>);
}
my $other_jwk = read_json(keys_dir() . '/other-jwks.json')->{keys}[0];

# [name, path, mint spec, expectation]: 'ok' (200, OAUTH_SUB alice) or
# 'invalid' (401 invalid_token). The spec may also be a code ref that gets
# the good token and returns the token to send.
my @cases = (
    # signatures
    ['good token (control)',                '/default', {}, 'ok'],
    ['tampered payload', '/default', sub {
         tamper_segment($_[0], 1, b64url_json(claims(sub => 'mallory', scope => 'admin')))
     }, 'invalid'],
    ['tampered signature', '/default', sub {
         my @p = split /\./, $_[0];
         my $i = int(length($p[2]) / 2);
         substr($p[2], $i, 1) = substr($p[2], $i, 1) eq 'A' ? 'B' : 'A';
         join '.', @p;
     }, 'invalid'],
    ['signature removed',                   '/default', sub { tamper_segment($_[0], 2, '') }, 'invalid'],
    ['alg none, empty signature',           '/default', { alg => 'none', sig => '' }, 'invalid'],
    ['alg none with the original signature', '/default', sub {
         my ($t) = @_;
         my $h = b64url_json({ alg => 'none', typ => 'at+jwt', kid => 'rsa1' });
         tamper_segment($t, 0, $h);
     }, 'invalid'],
    ['HS256 signed with the RSA public key as secret (kid rsa1), RS+HS location', '/mixed',
     { alg => 'HS256', hmac_raw => 'public:rsa1', kid => 'rsa1' }, 'invalid'],
    ['HS256 signed with the RSA public key as secret, default location', '/default',
     { alg => 'HS256', hmac_raw => 'public:rsa1', kid => 'rsa1' }, 'invalid'],
    ['RS256 header, HMAC of the RSA public key as signature', '/mixed',
     { alg => 'HS256', hmac_raw => 'public:rsa1', kid => 'rsa1', header => { alg => 'RS256' } },
     'invalid'],
    ['RS256 header naming the HMAC key (kid hs1) of the hs issuer', '/mixed',
     { alg => 'RS256', key => 'rsa1', kid => 'hs1', claims => claims(iss => $HS) }, 'invalid'],
    ['HS256 of the hs issuer at the RS+HS location (control)', '/mixed',
     { alg => 'HS256', claims => claims(iss => $HS) }, 'ok'],
    ['RS256 at the RS+HS location (control)', '/mixed', { alg => 'RS256' }, 'ok'],

    # key selection
    ['unknown kid',                         '/default', { kid => 'nope' }, 'invalid'],
    ['kid rsa1 but signed by rsa2',         '/default', { key => 'rsa2', kid => 'rsa1' }, 'invalid'],
    ['no kid: the fitting keys are tried (control)', '/default', { key => 'rsa2', kid => undef }, 'ok'],
    ['embedded jwk header with the signer\'s own key', '/default',
     { key => 'other1', kid => 'other1', header => { jwk => $other_jwk } }, 'invalid'],
    ['jku header pointing elsewhere',        '/default',
     { key => 'other1', kid => 'other1', header => { jku => 'https://evil.test/jwks.json' } },
     'invalid'],
    ['crit header with an unknown extension', '/default',
     { header => { crit => ['urn:example:ext'], 'urn:example:ext' => 1 } }, 'invalid'],

    # time
    ['expired 120 s ago (skew 60)',         '/default', { claims => claims(exp => $now - 120) }, 'invalid'],
    ['expired 30 s ago, within skew 60',    '/default', { claims => claims(exp => $now - 30) }, 'ok'],
    ['expired 30 s ago, OAuthTokenClockSkew 0', '/skew0', { claims => claims(exp => $now - 30) }, 'invalid'],
    ['expired 300 s ago, OAuthTokenClockSkew 600', '/skew600', { claims => claims(exp => $now - 300) }, 'ok'],
    ['expired 700 s ago, OAuthTokenClockSkew 600', '/skew600', { claims => claims(exp => $now - 700) }, 'invalid'],
    ['nbf 300 s in the future',             '/default', { claims => claims(nbf => $now + 300) }, 'invalid'],
    ['nbf 30 s in the future, within skew', '/default', { claims => claims(nbf => $now + 30) }, 'ok'],
    ['nbf 30 s in the future, OAuthTokenClockSkew 0', '/skew0', { claims => claims(nbf => $now + 30) }, 'invalid'],
    ['iat 300 s in the future',             '/default', { claims => claims(iat => $now + 300) }, 'invalid'],
    ['no exp',                              '/default', { claims => claims(exp => undef) }, 'invalid'],
    ['exp as a string',                     '/default', { claims => claims(exp => '' . ($now + 300)) }, 'invalid'],

    # issuer
    ['unknown iss',                         '/default', { claims => claims(iss => 'https://evil.test/') }, 'invalid'],
    ['no iss',                              '/default', { claims => claims(iss => undef) }, 'invalid'],
    ['iss without the trailing slash',      '/default', { claims => claims(iss => 'https://issuer.test') }, 'invalid'],
    ['second issuer with its own key (control)', '/default',
     { key => 'other1', claims => claims(iss => 'https://other.test/') }, 'ok'],
    ['iss issuer.test signed by other.test\'s key (kid other1)', '/default',
     { key => 'other1' }, 'invalid'],
    ['iss issuer.test signed by other.test\'s key claiming kid rsa1', '/default',
     { key => 'other1', kid => 'rsa1' }, 'invalid'],
    ['iss other.test signed by issuer.test\'s key', '/default',
     { key => 'rsa1', claims => claims(iss => 'https://other.test/') }, 'invalid'],
    ['iss hs.test with HS256 where only asymmetric algorithms are allowed', '/default',
     { alg => 'HS256', claims => claims(iss => $HS) }, 'invalid'],

    # audience
    ['wrong aud',                           '/default', { claims => claims(aud => 'https://elsewhere.test') }, 'invalid'],
    ['no aud',                              '/default', { claims => claims(aud => undef) }, 'invalid'],
    ['aud array containing ours (control)', '/default',
     { claims => claims(aud => ['https://elsewhere.test', 'https://api.test']) }, 'ok'],
    ['aud array without ours',              '/default',
     { claims => claims(aud => ['https://elsewhere.test', 'https://api.test/x']) }, 'invalid'],
    ['second configured audience (control)', '/two-aud', { claims => claims(aud => 'https://api2.test') }, 'ok'],
    ['second audience where only the first is configured', '/default',
     { claims => claims(aud => 'https://api2.test') }, 'invalid'],

    # typ
    ['typ JWT by default',                  '/default', { typ => 'JWT' }, 'invalid'],
    ['typ JWT where OAuthTokenAcceptType lists JWT', '/widetyp', { typ => 'JWT' }, 'ok'],
    ['no typ by default',                   '/default', { typ => undef }, 'invalid'],
    ['no typ where OAuthTokenAcceptType lists JWT', '/widetyp', { typ => undef }, 'ok'],
    ['typ application/at+jwt',              '/default', { typ => 'application/at+jwt' }, 'ok'],
    ['typ id+jwt',                          '/widetyp', { typ => 'id+jwt' }, 'invalid'],

    # ID tokens are never access tokens, also where typ is widened
    ['ID token marker nonce (typ JWT)',     '/widetyp', { typ => 'JWT', claims => claims(nonce => 'n-0S6_WzA2Mj') }, 'invalid'],
    ['ID token marker nonce (typ at+jwt)',  '/default', { claims => claims(nonce => 'n-0S6_WzA2Mj') }, 'invalid'],
    ['ID token marker at_hash',             '/widetyp', { typ => 'JWT', claims => claims(at_hash => 'HK6E_P6Dh8Y93mRNtsDB1Q') }, 'invalid'],
    ['ID token marker c_hash',              '/widetyp', { typ => 'JWT', claims => claims(c_hash => 'LDktKdoQak3Pk0cnXxCltA') }, 'invalid'],
    ['ID token marker token_use id',        '/widetyp', { typ => 'JWT', claims => claims(token_use => 'id') }, 'invalid'],
    ['ID token marker payload typ ID',      '/widetyp', { typ => 'JWT', claims => claims(typ => 'ID') }, 'invalid'],
    ['aud equal to the login client (OAuthTokenClient)', '/widetyp',
     { typ => 'JWT', claims => claims(aud => 'login-client', client_id => undef, azp => 'login-client') },
     'invalid'],

    # not a (well-formed) JWT
    ['payload not a JSON object',           '/default', { payload_raw => '["a","b"]' }, 'invalid'],
    ['payload not JSON',                    '/default', { payload_raw => 'sub=alice' }, 'invalid'],
    ['payload with a duplicate iss member', '/default', {
         payload_raw => sprintf('{"iss":"https://evil.test/","aud":"https://api.test","sub":"alice",'
                                . '"exp":%d,"iat":%d,"iss":"https://issuer.test/"}', $now + 300, $now),
     }, 'invalid'],
    ['padding appended to the signature',   '/default', sub { "$_[0]==" }, 'invalid'],
    ['token re-encoded in standard base64', '/default', sub {
         my ($t) = @_;
         (my $s = $t) =~ tr{-_}{+/};
         return $s eq $t ? "$t+" : $s;  # the control below makes sure it changed
     }, 'invalid'],
    ['quotes and a fake error in iss are not echoed raw', '/default',
     { claims => claims(iss => 'https://evil.test/", error="none') }, 'invalid'],
);

# Tokens that need no minting.
my @literal = (
    ['garbage: not-a-jwt',                  'not-a-jwt'],
    ['garbage: a.b.c',                      'a.b.c'],
    ['garbage: two segments',               'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0'],
    ['garbage: four segments',              'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln.c2ln'],
    ['garbage: empty segments',             '..'],
);

# The good token every code-ref case starts from.
my ($good) = mint_many({ alg => 'RS256' });
my @specs = map { ref $_->[2] eq 'HASH' ? { alg => 'RS256', %{ $_->[2] } } : () } @cases;
my @minted = mint_many(@specs);
for my $case (@cases) {
    $case->[4] = ref $case->[2] eq 'CODE' ? $case->[2]->($good) : shift @minted;
}

# An oversized token: properly signed, but over the module's 16 KiB limit.
my ($big) = mint_many({ alg => 'RS256', claims => claims(pad => 'x' x 17000) });

plan tests => 3 + @cases + @literal + 5 + 4;

# No credentials at all: a challenge without error (RFC 6750 section 3.1).
{
    my $res = Apache::TestRequest::GET('/default/api/orders.json');
    no_problems('no credentials: 401 with a bare challenge',
                bearer_challenge_is($res, status => 401, error => undef, exact => 1));
    is(single_challenge($res), 'Bearer realm="orders API"', 'no credentials: challenge text');
    $res = Apache::TestRequest::GET('/realm2/api/orders.json');
    is(single_challenge($res), 'Bearer realm="admin area"', 'realm comes from AuthName');
}

for my $case (@cases) {
    my ($name, $path, undef, $want, $token) = @$case;
    my $res = GET_bearer("$path/api/orders.json", $token);
    if ($want eq 'ok') {
        no_problems("$name -> 200", accepted($res, 'alice'));
    }
    else {
        no_problems("$name -> 401 invalid_token",
                    bearer_challenge_is($res, status => 401, error => 'invalid_token',
                                        token => $token, exact => 1));
    }
}

for my $lit (@literal) {
    my ($name, $token) = @$lit;
    my $res = GET_bearer('/default/api/orders.json', $token);
    no_problems("$name -> 401 invalid_token",
                bearer_challenge_is($res, status => 401, error => 'invalid_token', exact => 1));
}

# Oversized: refused (401 invalid_token, or 400), never served, never a 500.
{
    ok(length($big) > 16384, 'the oversized token is over 16 KiB (' . length($big) . ' bytes)');
    my $res = GET_bearer('/default/api/orders.json', $big);
    my $code = $res->code;
    ok($code == 401 || $code == 400, "oversized token refused with 401 or 400 (got $code)");
    if ($code == 401) {
        no_problems('oversized token: invalid_token challenge',
                    bearer_challenge_is($res, status => 401, error => 'invalid_token',
                                        token => $big, exact => 1));
    }
    else {
        no_problems('oversized token: invalid_request challenge',
                    bearer_challenge_is($res, status => 400, error => 'invalid_request',
                                        token => $big));
    }
    # The same claims in a token under the limit are fine: the size was the reason.
    my ($fits) = mint_many({ alg => 'RS256', claims => claims(pad => 'x' x 8000) });
    no_problems('a 11 KiB token with the same claims is accepted',
                accepted(GET_bearer('/default/api/orders.json', $fits), 'alice'));
    my $realm2 = GET_bearer('/realm2/api/orders.json', $big);
    ok($realm2->code == 401 || $realm2->code == 400,
       'oversized token at another location: 401 or 400 (got ' . $realm2->code . ')');
}

# Attacker-controlled text never leaves the server unescaped.
{
    my ($evil) = grep { $_->[0] =~ /^quotes and a fake error/ } @cases;
    my $res = GET_bearer('/default/api/orders.json', $evil->[4]);
    my ($scheme, $p) = parse_www_authenticate(single_challenge($res));
    is($p && $p->{error}, 'invalid_token', 'injected error="none" did not replace the error code');
    my $desc = ($p && $p->{error_description}) // '';
    unlike($desc, qr/evil\.test/, 'error_description does not echo the token\'s iss');

    my ($expired) = grep { $_->[0] =~ /^expired 120/ } @cases;
    $res = GET_bearer('/realm2/api/orders.json', $expired->[4]);
    no_problems('expired token at the "admin area" location: realm and error',
                bearer_challenge_is($res, status => 401, realm => 'admin area',
                                    error => 'invalid_token', token => $expired->[4], exact => 1));

    my $b64 = (grep { $_->[0] =~ /^token re-encoded/ } @cases)[0][4];
    isnt($b64, $good, 'the standard-base64 variant differs from the good token');
}
