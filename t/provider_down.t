# Provider failures are honest: unreachable or stalled with nothing cached -> 503 + Retry-After + a logged URL, within the HTTP timeout; keys cached -> still served while the provider is down.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Apache::Test qw(-withtestmore);
use Apache::TestRequest ();
use OT::Test;
use OT::Provider;
use IO::Socket::INET ();
use Time::HiRes qw(time sleep);

my $down = OT::Provider::need('down');
my $dead = OT::Provider::env('OT_DEAD_URL');     # nothing listens
my $stall = OT::Provider::env('OT_STALL_URL');   # connects, never answers
my ($connect_timeout, $total_timeout) = (1, 2);  # OAuthTokenHTTPTimeout in extra.conf.in
my $interval = 5;                                # OAuthTokenJWKSRefreshInterval
my $orders = '/idp/api/orders.json';
my $error_log = log_file('error_log');
my $run = sprintf '%d-%04d', $$, int rand 10000;

sub cc_token { $down->client_credentials_token(resource => 'https://api.test', scope => 'orders:read') }

sub tokens_for {
    my ($iss, $n) = @_;
    return mint_many(map { { alg => 'RS256', claims => claims(iss => $iss, jti => "down-$run-$_-" . rand) } } 1 .. $n);
}

# --- nothing cached, connection refused
{
    my @t = tokens_for($dead, 2);
    my $off = log_offset($error_log);
    my ($res, $s) = OT::Provider::timed(sub { GET_bearer($orders, $t[0]) });
    no_problems("provider unreachable ($dead), nothing cached -> 503 with Retry-After",
                OT::Provider::unavailable_problems($res));
    ok($s < $total_timeout + 1, sprintf('answered within the HTTP timeout (%.2f s)', $s));
    my @lines = wait_for_log($error_log, $off, qr/AH99\d{3}.*\Q$dead\E/);
    ok(@lines, "an AH99xxx error-log line names $dead")
        or diag(log_since($error_log, $off) || '(nothing logged)');
    no_problems('the same token again: 503 again, never a 401', OT::Provider::unavailable_problems(GET_bearer($orders, $t[0])));
    no_problems('another token of that issuer: 503', OT::Provider::unavailable_problems(GET_bearer($orders, $t[1])));
}

# --- nothing cached, the provider accepts the connection and never answers
{
    my ($t) = tokens_for($stall, 1);
    my $off = log_offset($error_log);
    my ($res, $s) = OT::Provider::timed(sub { GET_bearer($orders, $t) });
    no_problems("provider stalls ($stall), nothing cached -> 503 with Retry-After",
                OT::Provider::unavailable_problems($res));
    ok($s < $total_timeout + 1,
       sprintf('the request did not hang: %.2f s (OAuthTokenHTTPTimeout total %d s)', $s, $total_timeout));
    my @lines = wait_for_log($error_log, $off, qr/AH99\d{3}.*\Q$stall\E/);
    ok(@lines, "an AH99xxx error-log line names $stall")
        or diag(log_since($error_log, $off) || '(nothing logged)');
    ($res, $s) = OT::Provider::timed(sub { GET_bearer('/default/api/orders.json', mint(alg => 'RS256')) });
    no_problems('the server still answers other requests at once', accepted($res));
}

# --- keys cached, then the provider goes down
{
    # max-age=0 is raised to the 30 s lower bound (README: "at least 30 s").
    $down->config(jwks_cache_control => 'max-age=0');
    my @t = map { cc_token() } 1 .. 4;
    $down->reset_counts;
    my $fetched_at = time;
    no_problems('provider up: token accepted', accepted(GET_bearer($orders, $t[0]), 'rs-client'));
    no_problems('provider up: another token accepted', accepted(GET_bearer($orders, $t[1]), 'rs-client'));
    is($down->counts->{jwks}, 1, 'Cache-Control max-age=0: the key set is still kept (one fetch for two tokens)');

    my $port = $down->port;
    $down->stop;
    ok(!IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port", Timeout => 2), 'setup: the provider is down');
    my ($res, $s) = OT::Provider::timed(sub { GET_bearer($orders, $t[2]) });
    no_problems('provider down, keys cached: a token never seen before is served', accepted($res, 'rs-client'));
    ok($s < 1, sprintf('... without waiting for the provider (%.2f s)', $s));
    no_problems('provider down: a token seen before is served', accepted(GET_bearer($orders, $t[0]), 'rs-client'));

    # An unknown kid makes the module try a refresh, which fails: the last good set stays.
    my $wait = $fetched_at + $interval + 0.5 - time;
    sleep $wait if $wait > 0;
    my ($unknown) = mint_many({ alg => 'RS256', key => 'rsa2', kid => 'unknown-1',
                                claims => claims(iss => $down->url, aud => 'https://api.test') });
    ($res, $s) = OT::Provider::timed(sub { GET_bearer($orders, $unknown) });
    isnt($res->code, 200, sprintf('provider down: an unknown kid is not accepted (%d)', $res->code));
    ok($s < $total_timeout + 1, sprintf('... and answered within the HTTP timeout (%.2f s)', $s));
    no_problems('after the failed refresh the last good key set still serves',
                accepted(GET_bearer($orders, $t[3]), 'rs-client'));

    # --- back on the same port
    $down->restart;
    is($down->port, $port, 'the provider is back on the same port');
    no_problems('provider back: a new token accepted', accepted(GET_bearer($orders, cc_token()), 'rs-client'));
}

done_testing();
