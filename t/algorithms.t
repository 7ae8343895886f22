# Tokens of every JWS algorithm are accepted where OAuthTokenAlgorithms allows them and refused where it does not.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Apache::Test qw(-withtestmore);
use OT::Test;

my @ASYM = qw(RS256 RS384 RS512 PS256 PS384 PS512 ES256 ES384 ES512 EdDSA);
my @HMAC = qw(HS256 HS384 HS512);
my %DEFAULT_ALLOWED = map { $_ => 1 } qw(RS256 PS256 ES256 EdDSA);

# Where each algorithm is refused: a location whose allow-list lacks it.
sub refusing_location {
    my ($alg) = @_;
    return '/one-es384' if $alg eq 'RS256';
    return '/one-hs512' if $alg eq 'HS256';
    return '/one-hs256' if $alg =~ /^HS/;
    return '/one-rs256';
}

sub issuer_for { $_[0] =~ /^HS/ ? 'https://hs.test/' : 'https://issuer.test/' }

# One token per algorithm, each with its own subject.
my @algs = (@ASYM, @HMAC);
my %token;
@token{@algs} = mint_many(map {
    { alg => $_, claims => claims(sub => "user-$_", iss => issuer_for($_)) }
} @algs);

my @controls = (
    # [name, path, spec, subject or undef for a refusal]
    ['RS256 at /one-rs256',  '/one-rs256', { alg => 'RS256' }, 'alice'],
    ['ES384 at /one-es384',  '/one-es384', { alg => 'ES384' }, 'alice'],
    ['HS256 at /one-hs256',  '/one-hs256',
     { alg => 'HS256', claims => claims(iss => 'https://hs.test/') }, 'alice'],
    ['HS512 at /one-hs512',  '/one-hs512',
     { alg => 'HS512', claims => claims(iss => 'https://hs.test/') }, 'alice'],
    ['RS256 with the second key of the set (kid rsa2)', '/default',
     { alg => 'RS256', key => 'rsa2', claims => claims(sub => 'second-key') }, 'second-key'],
    ['ES256 signature in DER instead of raw R||S is refused', '/all',
     { alg => 'ES256', ecdsa_der => 1 }, undef],
    ['ES512 signed with a P-256 key (kid ec256) is refused', '/all',
     { alg => 'ES512', key => 'ec256' }, undef],
    ['PS256 token with an RS256 header is refused', '/all',
     { alg => 'PS256', header => { alg => 'RS256' } }, undef],
);
my @control_tokens = mint_many(map { $_->[2] } @controls);

plan tests => 2 * @algs + @ASYM + 1 + @HMAC + @controls;

for my $alg (@algs) {
    my $path = $alg =~ /^HS/ ? '/hs' : '/all';
    my $res = GET_bearer("$path/api/orders.json", $token{$alg});
    no_problems("$alg accepted at $path", accepted($res, "user-$alg"));

    my $refuse = refusing_location($alg);
    $res = GET_bearer("$refuse/api/orders.json", $token{$alg});
    no_problems("$alg refused at $refuse",
                bearer_challenge_is($res, status => 401, error => 'invalid_token',
                                    token => $token{$alg}, exact => 1));
}

# The default allow-list is RS256 PS256 ES256 EdDSA.
for my $alg (@ASYM, 'HS256') {
    my $res = GET_bearer('/default/api/orders.json', $token{$alg});
    if ($DEFAULT_ALLOWED{$alg}) {
        no_problems("$alg accepted by the default allow-list", accepted($res, "user-$alg"));
    }
    else {
        no_problems("$alg refused by the default allow-list",
                    bearer_challenge_is($res, status => 401, error => 'invalid_token',
                                        token => $token{$alg}, exact => 1));
    }
}

# HMAC only where listed, even at a location that allows every asymmetric one.
for my $alg (@HMAC) {
    my $res = GET_bearer('/all/api/orders.json', $token{$alg});
    no_problems("$alg refused at /all (asymmetric algorithms only)",
                bearer_challenge_is($res, status => 401, error => 'invalid_token',
                                    token => $token{$alg}, exact => 1));
}

for my $i (0 .. $#controls) {
    my ($name, $path, undef, $sub) = @{ $controls[$i] };
    my $res = GET_bearer("$path/api/orders.json", $control_tokens[$i]);
    if (defined $sub) {
        no_problems($name, accepted($res, $sub));
    }
    else {
        no_problems($name, bearer_challenge_is($res, status => 401, error => 'invalid_token',
                                               token => $control_tokens[$i], exact => 1));
    }
}
