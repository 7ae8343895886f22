# Key rotation: the provider restarts with a new signing key; a token of the new key is accepted after exactly one JWKS refresh, a never-seen token of the removed key is refused, and one verified before only where a process remembers it.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Apache::Test qw(-withtestmore);
use Apache::TestRequest ();
use OT::Test;
use OT::Provider;
use Time::HiRes qw(time sleep);

my $rot = OT::Provider::need('rot');
my $interval = 5;    # OAuthTokenJWKSRefreshInterval in t/conf/extra.conf.in
my $orders = '/idp/api/orders.json';

sub cc_token { $rot->client_credentials_token(resource => 'https://api.test', scope => 'orders:read') }

# --- before: tokens of the first key
my $old_kid = $rot->signing_kid('RS256');
my ($old_seen, $old_unseen) = (cc_token(), cc_token());
is(OT::Provider::jwt_header($old_unseen)->{kid}, $old_kid, 'setup: tokens signed with the current key');
$rot->reset_counts;
my $fetched_at = time;
no_problems('a token of the current key accepted', accepted(GET_bearer($orders, $old_seen), 'rs-client'));
is($rot->counts->{jwks}, 1, 'first use: one JWKS fetch');

# --- rotation: restart with a new RS256 key, on the same port
my $port = $rot->port;
$rot->restart(rotate => 1);
is($rot->port, $port, 'the provider is back on the same port');
my $new_kid = $rot->signing_kid('RS256');
isnt($new_kid, $old_kid, 'the provider signs with a new kid');
ok(!grep({ $_ eq $old_kid } $rot->kids), 'the old key is gone from the provider\'s JWKS');
my ($new1, $new2) = (cc_token(), cc_token());
is(OT::Provider::jwt_header($new1)->{kid}, $new_kid, 'setup: new tokens carry the new kid');

# An unknown kid may refresh once per interval; the first fetch counts as one.
my $wait = $fetched_at + $interval + 0.5 - time;
sleep $wait if $wait > 0;

# --- after: the new key is fetched once and used
$rot->reset_counts;
no_problems('a token of the new key accepted (unknown kid -> refresh)',
            accepted(GET_bearer($orders, $new1), 'rs-client'));
is($rot->counts->{jwks}, 1, 'exactly one JWKS refresh for the new kid');
no_problems('another token of the new key accepted', accepted(GET_bearer($orders, $new2), 'rs-client'));
no_problems('a token of the removed key, never presented before, is refused',
            OT::Provider::invalid_token_problems(GET_bearer($orders, $old_unseen)));
is($rot->counts->{jwks}, 1, 'no further refresh within the interval (new token, removed kid)');

# README: a JWT stays valid until its exp, even once its key is removed, in
# each process that verified it (a per-process memory); JWT results never
# go to the shared cache, so every other process refuses it.
my (%codes, @unexpected);
for (1 .. 20) {
    my $res = GET_bearer($orders, $old_seen);
    $codes{ $res->code }++;
    my @p = $res->code == 200 ? accepted($res, 'rs-client') : OT::Provider::invalid_token_problems($res);
    push @unexpected, @p;
}
diag(join ', ', map { "$codes{$_} x $_" } sort keys %codes);
no_problems('the token verified before the rotation: 200 where its process remembers it, '
            . 'otherwise 401 invalid_token, never anything else', @unexpected);
is($rot->counts->{jwks}, 1, 'and no fetch for it within the refresh interval');

done_testing();
