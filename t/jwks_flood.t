# A flood of tokens with an unknown kid (50 requests, 10 at a time) causes at most one JWKS fetch per OAuthTokenJWKSRefreshInterval, and every one is a 401 invalid_token.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Apache::Test qw(-withtestmore);
use Apache::TestRequest ();
use OT::Test;
use OT::Provider;
use Time::HiRes qw(time sleep);

my $flood = OT::Provider::need('flood');
my $interval = 5;    # OAuthTokenJWKSRefreshInterval in t/conf/extra.conf.in
my $orders = '/idp/api/orders.json';
my $run = sprintf '%d-%04d', $$, int rand 10000;

sub cc_token { $flood->client_credentials_token(resource => 'https://api.test', scope => 'orders:read') }

# Tokens the provider never signed: our own RSA key (t/keys rsa2), kid
# "unknown-1", but the provider's issuer, audience and typ.
sub unknown_kid_tokens {
    my ($n, $tag) = @_;
    return mint_many(map { {
        alg => 'RS256', key => 'rsa2', kid => 'unknown-1',
        claims => claims(iss => $flood->url, aud => 'https://api.test',
                         sub => 'rs-client', client_id => 'rs-client',
                         jti => "flood-$tag-$run-$_"),
    } } 1 .. $n);
}

# Sends the tokens 10 at a time; returns (seconds, list of problems).
sub flood {
    my (@tokens) = @_;
    my ($res, $s) = OT::Provider::timed(sub {
        [OT::Provider::parallel_requests([map { [$orders, $_] } @tokens], workers => 10)];
    });
    my @problems;
    for my $i (0 .. $#tokens) {
        my $r = $res->[$i] or do { push @problems, "request $i: no answer"; next };
        my (undef, $p) = parse_www_authenticate($r->{www_authenticate});
        push @problems, "request $i: $r->{code} ($r->{www_authenticate}), want 401 invalid_token"
            unless $r->{code} == 401 && $p && ($p->{error} // '') eq 'invalid_token';
    }
    return ($s, @problems);
}

my @wave1 = unknown_kid_tokens(50, 'a');
my @wave2 = unknown_kid_tokens(50, 'b');

# --- keys fetched once by a good token
$flood->reset_counts;
my $primed = time;
no_problems('setup: a provider token accepted', accepted(GET_bearer($orders, cc_token()), 'rs-client'));
is($flood->counts->{jwks}, 1, 'setup: keys fetched once');

# Past the interval, so that the flood may cause one refresh.
my $wait = $primed + $interval + 0.5 - time;
sleep $wait if $wait > 0;

# --- the flood
$flood->reset_counts;
my $start = time;
my ($s, @problems) = flood(@wave1);
my $c = $flood->counts;
diag(sprintf 'flood: 50 unknown-kid requests in %.2f s: jwks fetches %d, metadata fetches %d',
     $s, $c->{jwks}, $c->{discovery});
no_problems('all 50 unknown-kid requests: 401 invalid_token', @problems);
if ($s < $interval) {
    is($c->{jwks}, 1, "exactly one JWKS fetch for 50 unknown-kid requests within one interval");
}
else {
    my $max = 1 + int($s / $interval);
    ok($c->{jwks} >= 1 && $c->{jwks} <= $max,
       "at most one JWKS fetch per $interval s interval ($c->{jwks} in $s s, max $max)");
}
ok($c->{discovery} <= 1, "metadata fetched at most once during the flood ($c->{discovery})");

# --- a second wave in the same interval: no fetch at all
($s, @problems) = flood(@wave2);
my $elapsed = time - $start;
$c = $flood->counts;
diag(sprintf 'second wave: 50 more in %.2f s: jwks fetches now %d', $s, $c->{jwks});
no_problems('second wave: all 50 answered 401 invalid_token', @problems);
if ($elapsed < $interval) {
    is($c->{jwks}, 1, 'second wave within the same interval: no further JWKS fetch');
}
else {
    my $max = 1 + int($elapsed / $interval);
    ok($c->{jwks} <= $max, "at most one JWKS fetch per interval ($c->{jwks} in $elapsed s, max $max)");
}

# --- good tokens still served, from the cached keys
no_problems('after the flood a provider token is accepted', accepted(GET_bearer($orders, cc_token()), 'rs-client'));
is($flood->counts->{jwks}, $c->{jwks}, 'a known kid fetched nothing');

done_testing();
