# Require oauth-scope / oauth-claim / oauth-client and their composition with RequireAll/Any/None, Require ip, valid-user.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Apache::Test qw(-withtestmore);
use Apache::TestRequest ();
use OT::Test;

# [name, path, claims overrides, expectation]
#   expectation: 'ok' (200) | '403' (insufficient_scope) | ['403', 'scope text']
#                | '401' (invalid_token)
my @cases = (
    # oauth-scope, one scope
    ['scope present',                       '/scope-read',  { scope => 'orders:read profile' }, 'ok'],
    ['scope missing',                       '/scope-read',  { scope => 'profile' }, ['403', 'orders:read']],
    ['no scope claim at all',               '/scope-read',  { scope => undef }, ['403', 'orders:read']],
    ['a longer scope is not the scope',     '/scope-read',  { scope => 'orders:reader' }, ['403', 'orders:read']],
    ['a scope prefix is not the scope',     '/scope-read',  { scope => 'orders' }, ['403', 'orders:read']],
    ['expired token with the scope -> 401', '/scope-read',  { exp => now() - 3600 }, '401'],

    # oauth-scope, all of several
    ['both scopes',                         '/scope-multi', { scope => 'orders:read orders:write' }, 'ok'],
    ['both scopes, other order',            '/scope-multi', { scope => 'orders:write x orders:read' }, 'ok'],
    ['one of two scopes',                   '/scope-multi', { scope => 'orders:read' },
     ['403', 'orders:read orders:write']],

    # OAuthTokenScopeClaim scp (an array)
    ['scope from the scp array',            '/scp', { scope => 'nothing', scp => ['orders:read', 'orders:write'] }, 'ok'],
    ['scp lacks it; scope has it but is not the scope claim here', '/scp',
     { scope => 'orders:write', scp => ['orders:read'] }, ['403', 'orders:write']],

    # oauth-claim: dotted path, arrays, several values
    ['roles array contains one of the values', '/claim-roles',
     { realm_access => { roles => ['user', 'auditor'] } }, 'ok'],
    ['roles array contains the other value', '/claim-roles',
     { realm_access => { roles => ['admin'] } }, 'ok'],
    ['roles as a string equal to a value',  '/claim-roles', { realm_access => { roles => 'admin' } }, 'ok'],
    ['roles array without the values',      '/claim-roles',
     { realm_access => { roles => ['user', 'Admin'] } }, '403'],
    ['no realm_access claim',               '/claim-roles', {}, '403'],
    ['the value one level too high',        '/claim-roles', { realm_access => 'admin' }, '403'],
    ['three-level path, equal',             '/claim-dept', { org => { unit => { dept => 'sales' } } }, 'ok'],
    ['three-level path, different',         '/claim-dept', { org => { unit => { dept => 'ops' } } }, '403'],
    ['three-level path, array containing',  '/claim-dept', { org => { unit => { dept => ['ops', 'sales'] } } }, 'ok'],

    # oauth-client: client_id, else azp
    ['client_id listed (first)',            '/client', { client_id => 'client-1' }, 'ok'],
    ['client_id listed (second)',           '/client', { client_id => 'client-9' }, 'ok'],
    ['client_id not listed',                '/client', { client_id => 'client-2' }, '403'],
    ['no client_id, azp listed',            '/client', { client_id => undef, azp => 'client-9' }, 'ok'],
    ['no client_id, azp not listed',        '/client', { client_id => undef, azp => 'client-2' }, '403'],
    ['client_id not listed wins over a listed azp', '/client',
     { client_id => 'client-2', azp => 'client-1' }, '403'],
    ['neither client_id nor azp',           '/client', { client_id => undef }, '403'],

    # <RequireAny> of two scope lines
    ['RequireAny: first scope',             '/any-scope', { scope => 'orders:write' }, 'ok'],
    ['RequireAny: second scope',            '/any-scope', { scope => 'profile admin' }, 'ok'],
    ['RequireAny: neither',                 '/any-scope', { scope => 'orders:read' }, '403'],

    # <RequireAll> with Require ip
    ['RequireAll scope + ip 127.0.0.1',     '/ip-ok',  { scope => 'orders:read' }, 'ok'],
    ['RequireAll ip 127.0.0.1, scope missing', '/ip-ok', { scope => 'profile' }, ['403', 'orders:read']],
    ['RequireAll scope + ip 10.0.0.1',      '/ip-bad', { scope => 'orders:read' }, '403 plain'],

    # <RequireNone> inside <RequireAll>
    ['RequireNone: forbidden scope absent', '/none', { scope => 'orders:read' }, 'ok'],
    # Refused because the token HAS a scope: not "insufficient", so no challenge is demanded.
    ['RequireNone: forbidden scope present', '/none', { scope => 'orders:read admin' }, '403 plain'],

    # valid-user
    ['valid-user with a valid token',       '/default', {}, 'ok'],
);

my @tokens = mint_many(map { { alg => 'RS256', claims => claims(%{ $_->[2] }) } } @cases);

plan tests => @cases + 4;

for my $i (0 .. $#cases) {
    my ($name, $path, undef, $want) = @{ $cases[$i] };
    my $token = $tokens[$i];
    my $res = GET_bearer("$path/api/orders.json", $token);
    my ($code, $scope) = ref $want ? @$want : ($want);
    if ($code eq 'ok') {
        no_problems("$path: $name -> 200", accepted($res, 'alice'));
    }
    elsif ($code eq '401') {
        no_problems("$path: $name",
                    bearer_challenge_is($res, status => 401, error => 'invalid_token',
                                        token => $token, exact => 1));
    }
    elsif ($code eq '403 plain') {
        # Refused by Require ip or RequireNone, not for a missing grant: a 403,
        # whatever the challenge.
        no_problems("$path: $name -> 403",
                    $res->code == 403 ? () : ('status ' . $res->code . ', want 403'));
    }
    else {
        no_problems("$path: $name -> 403 insufficient_scope",
                    bearer_challenge_is($res, status => 403, error => 'insufficient_scope',
                                        scope => $scope, token => $token, exact => 1));
    }
}

# Without any token the Require lines never get as far as a 403.
for my $path (qw(/scope-read /claim-roles /client /any-scope)) {
    my $res = Apache::TestRequest::GET("$path/api/orders.json");
    no_problems("$path without a token -> bare 401",
                bearer_challenge_is($res, status => 401, error => undef, exact => 1));
}
