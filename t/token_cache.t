# Validated-token cache: a cached token is re-checked against the asking location's policy (audience, algorithm, typ, skew, issuer; both orders), introspection answers are reused for exactly the TTL (count the provider's calls).
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
my $run = sprintf '%d-%04d', $$, int rand 10000;

sub at { "/$_[0]/api/orders.json" }
sub opaque { $idp->client_credentials_token(resource => 'https://opaque.test', scope => 'orders:read') }
sub jwt    { $idp->client_credentials_token(resource => 'https://api.test', scope => 'orders:read') }

sub introspections {
    my ($code) = @_;
    $idp->reset_counts;
    my @r = $code->();
    return ($idp->counts->{introspection}, @r);
}

# [what, accepting location, refusing location, code returning a mint spec
# (fresh claims, so a distinct token each time) or a token]
my @pairs = (
    ['audience',  'two-aud', 'default',   sub { +{ alg => 'RS256', claims => claims(aud => 'https://api2.test') } }],
    ['algorithm', 'default', 'one-es384', sub { +{ alg => 'RS256', claims => claims() } }],
    ['typ',       'widetyp', 'default',   sub { +{ alg => 'RS256', typ => 'JWT', claims => claims() } }],
    ['clock skew', 'skew600', 'skew0',    sub { +{ alg => 'RS256', claims => claims(exp => now() - 30) } }],
    ['audience (provider token)', 'idp', 'idp-other-aud', \&jwt],
    ['typ (provider token)',      'idp', 'idp-typ-jwt',   \&jwt],
);

# --- a hit is re-checked against the asking location, in both orders
for my $p (@pairs) {
    my ($what, $yes, $no, $make) = @$p;
    my @t = map { $make->() } 1, 2;
    @t = mint_many(@t) if ref $t[0];
    die "$what: the two tokens are the same\n" if $t[0] eq $t[1];
    no_problems("$what: accepted at /$yes/", accepted(GET_bearer(at($yes), $t[0])));
    no_problems("$what: right after, refused at /$no/ (cache hit re-checked)",
                bearer_challenge_is(GET_bearer(at($no), $t[0]), status => 401, error => 'invalid_token'));
    no_problems("$what, other order: refused at /$no/ first",
                bearer_challenge_is(GET_bearer(at($no), $t[1]), status => 401, error => 'invalid_token'));
    no_problems("$what, other order: then accepted at /$yes/", accepted(GET_bearer(at($yes), $t[1])));
    no_problems("$what, other order: and still refused at /$no/",
                bearer_challenge_is(GET_bearer(at($no), $t[1]), status => 401, error => 'invalid_token'));
}

# --- issuer: a virtual host that does not trust https://issuer.test/
{
    my @t = mint_many({ alg => 'RS256', claims => claims() }, { alg => 'RS256', claims => claims() });
    die "the two tokens are the same\n" if $t[0] eq $t[1];
    no_problems('issuer: accepted by the main server', accepted(GET_bearer(at('default'), $t[0])));
    OT::Provider::on_vhost('ot_introspect', sub {
        no_problems('issuer: right after, refused by a virtual host that does not trust the issuer',
                    bearer_challenge_is(GET_bearer(at('default'), $t[0]), status => 401, error => 'invalid_token'));
        no_problems('issuer, other order: refused by the virtual host first',
                    bearer_challenge_is(GET_bearer(at('default'), $t[1]), status => 401, error => 'invalid_token'));
    });
    no_problems('issuer, other order: then accepted by the main server', accepted(GET_bearer(at('default'), $t[1])));
}

OT::Provider::on_vhost('ot_introspect', sub {
    # --- introspection answers are reused within the TTL
    {
        my $o = opaque();
        my ($n) = introspections(sub {
            no_problems('default TTL: first request -> 200', accepted(GET_bearer(at('opaque'), $o), 'rs-client'));
            no_problems('default TTL: second request -> 200', accepted(GET_bearer(at('opaque'), $o), 'rs-client'));
        });
        is($n, 1, 'the same opaque token twice within the TTL: introspected once');

        ($n) = introspections(sub {
            no_problems('cached at /opaque/ (aud https://opaque.test), refused at /idp/ (aud https://api.test)',
                        bearer_challenge_is(GET_bearer(at('idp'), $o), status => 401, error => 'invalid_token'));
        });
        is($n, 0, '... from the cache entry, without asking the provider again');

        $idp->revoke($o);
        ($n) = introspections(sub {
            no_problems('revoked after caching: still served within the TTL (README)',
                        accepted(GET_bearer(at('opaque'), $o), 'rs-client'));
        });
        is($n, 0, '... from the cache');

        my $o2 = opaque();
        no_problems('other order: refused at /idp/ first',
                    bearer_challenge_is(GET_bearer(at('idp'), $o2), status => 401, error => 'invalid_token'));
        no_problems('other order: then accepted at /opaque/', accepted(GET_bearer(at('opaque'), $o2), 'rs-client'));
    }

    # --- TTL 0: asked every time
    {
        my $o = opaque();
        my ($n) = introspections(sub {
            no_problems('TTL 0: first request -> 200', accepted(GET_bearer(at('opaque-ttl0'), $o), 'rs-client'));
            no_problems('TTL 0: second request -> 200', accepted(GET_bearer(at('opaque-ttl0'), $o), 'rs-client'));
        });
        is($n, 2, 'TTL 0: the same token twice: introspected twice');
    }

    # --- TTL 2: reused, then asked again after the TTL
    {
        my $o = opaque();
        my ($n) = introspections(sub {
            no_problems('TTL 2: first request -> 200', accepted(GET_bearer(at('opaque-ttl2'), $o), 'rs-client'));
        });
        my $t0 = time;
        is($n, 1, 'TTL 2: introspected');
        ($n) = introspections(sub {
            no_problems('TTL 2: at once again -> 200', accepted(GET_bearer(at('opaque-ttl2'), $o), 'rs-client'));
        });
        if (time - $t0 < 2) {
            is($n, 0, 'TTL 2: reused within the TTL');
        }
        else {
            pass('TTL 2: (the second request came after the TTL: reuse not checked)');
        }
        my $wait = $t0 + 3.2 - time;
        sleep $wait if $wait > 0;
        ($n) = introspections(sub {
            no_problems('TTL 2: after 3 s -> 200', accepted(GET_bearer(at('opaque-ttl2'), $o), 'rs-client'));
        });
        is($n, 1, 'TTL 2: asked again once the TTL is over');
    }
});

done_testing();
