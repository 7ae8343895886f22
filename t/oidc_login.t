# AuthType OIDC without a browser (issue 4): the login redirect, the callback and its attacks, the
# session (cookie, r->user, env, Require oauth-claim, timeouts), logout (local, at the provider,
# open redirects), back-channel logout, and the login's access token passed to the backend.
# The provider is the 'login' fixture (t/lib/OT/Provider.pm), walked by OT::IdP::authorize.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Apache::Test qw(-withtestmore);
use Apache::TestRequest ();
use HTTP::Tiny ();
use JSON::PP ();
use POSIX ();
use Time::HiRes qw(time sleep);
use URI ();
use URI::Escape ();
use OT::Test;
use OT::Provider;
use OT::OIDC;

my $idp = OT::Provider::need('login');
my $base = Apache::TestRequest::module2url('ot_oidc', { path => '/' });
$base =~ s{/$}{};
my $access_log = log_file('oauth_access.log');
my $run = sprintf '%d-%04d', $$, int rand 10000;
my $json = JSON::PP->new->canonical;
my $B64 = qr/[A-Za-z0-9_-]/;

# The provider as the module sees it.
my $meta = do {
    my $res = HTTP::Tiny->new(timeout => 10)->get($idp->endpoint('discovery'));
    die "discovery at the login fixture: $res->{status}\n" unless $res->{success};
    $json->decode($res->{content});
};
my $authz = $meta->{authorization_endpoint};
my $end_session = $meta->{end_session_endpoint};

# A clean fixture, and the same again whatever happens below.
sub reset_fixture {
    eval { $idp->fail('none'); $idp->tamper_id_token(off => 1);
           $idp->config(default_resource => '', access_token_ttl => 600); 1 }
        or diag "resetting the login fixture: $@";
}
reset_fixture();
END { reset_fixture() if $idp }

sub browser { OT::OIDC::Browser->new(base => $base) }

my $orders = '/app/api/orders.json';

# ---------------------------------------------------------------- checks

# Problems with an answer that must be the module's error page with $status
# and open no session.
sub error_page_problems {
    my ($res, $status, $b) = @_;
    my @p;
    push @p, sprintf('status %d, want %d', $res->code, $status) unless $res->code == $status;
    push @p, 'Content-Type ' . ($res->header('Content-Type') // 'absent') . ', want text/html'
        unless ($res->header('Content-Type') // '') =~ m{^text/html};
    push @p, 'Location ' . $res->header('Location') . ': an error page redirects nowhere'
        if defined $res->header('Location');
    for my $c (OT::OIDC::set_cookies($res)) {
        push @p, "a session cookie was set: $c->{raw}"
            if $c->{name} =~ /session/ && length $c->{value};
    }
    push @p, 'the browser holds a session cookie' if $b && defined $b->session;
    my $sub = $res->header('X-Oauth-Sub');
    push @p, "OAUTH_SUB set ($sub)" if defined $sub && $sub ne '(null)';
    return @p;
}

# Problems with an answer that must start a login (302 to the provider).
sub login_redirect_problems {
    my ($res) = @_;
    my @p;
    push @p, sprintf('status %d, want 302', $res->code) unless $res->code == 302;
    my $loc = $res->header('Location') // '';
    push @p, "Location '$loc' is not the provider's authorization endpoint $authz"
        unless index($loc, "$authz?") == 0;
    return @p;
}

# Problems with an answer that must be a 401 without any login.
sub no_login_401_problems {
    my ($res) = @_;
    my @p;
    push @p, sprintf('status %d, want 401', $res->code) unless $res->code == 401;
    push @p, 'Location ' . $res->header('Location') if defined $res->header('Location');
    push @p, "login cookie set: $_->{raw}"
        for grep { $_->{name} =~ /^oauth_login_/ && length $_->{value} } OT::OIDC::set_cookies($res);
    return @p;
}

sub session_deleted_problems {
    my ($res) = @_;
    my ($c) = OT::OIDC::set_cookie_named($res, 'oauth_session');
    return ('no Set-Cookie for oauth_session') unless $c;
    return ("oauth_session not deleted: $c->{raw}")
        unless $c->{raw} eq 'oauth_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0';
    return ();
}

# A fresh login (state, binding) whose provider walk stopped at the callback
# URL; the callback itself is for the caller to send.
sub pending_login {
    my ($b, $path, %o) = @_;
    my $s = $b->login_start($path // $orders);
    die 'login start: ' . $s->{res}->status_line . "\n" unless $s->{location};
    $s->{callback_url} = $b->at_provider($idp, $s->{location}, %o);
    return $s;
}

sub with_param {
    my ($url, %set) = @_;
    my $u = URI->new($url);
    my @kv = $u->query_form;
    my @out;
    my %seen;
    while (my ($k, $v) = splice @kv, 0, 2) {
        next if $seen{$k}++ && exists $set{$k};
        if (exists $set{$k}) { push @out, $k, $set{$k} if defined $set{$k} }
        else { push @out, $k, $v }
    }
    for my $k (sort keys %set) { push @out, $k, $set{$k} if !$seen{$k} && defined $set{$k} }
    $u->query_form(\@out);
    return "$u";
}

# ============================================================== the absolute limit, started first
# /touch/: idle 63 s, at most 68 s. Last use is written back once a minute,
# so the limits show apart only past a minute: the session is used at 61 s
# (written back), still good at 65 s (idle would have ended it without the
# write-back), and gone at 70 s (68 s after creation, 5 s after last use).
# The checks run at the end of this file; the sleeps overlap the rest.
my $touch = browser();
my ($touch_pid, $touch_fh);
{
    my $s = pending_login($touch, '/touch/api/orders.json');
    my $t0 = time;
    my $res = $touch->page($s->{callback_url});
    ok($res->code == 302 && $touch->session, 'touch: logged in through /touch/')
        or diag $res->as_string;
    no_problems('touch: usable at once', accepted($touch->page('/touch/api/orders.json'), 'alice'));
    # A child process makes the three requests on time, whatever the tests
    # below take, and reports each answer on a pipe.
    pipe($touch_fh, my $w) or die "pipe: $!";
    $touch_pid = fork // die "fork: $!";
    if (!$touch_pid) {
        close $touch_fh;
        for my $at (61.5, 65.5, 70.2) {
            my $d = $t0 + $at - time;
            sleep $d if $d > 0;
            my $r = $touch->page('/touch/api/orders.json');
            my @f = ($at, time - $t0, $r->code, $r->header('Location') // '',
                     join(' | ', $r->headers->header('Set-Cookie')), $r->header('X-Oauth-Sub') // '');
            s/[\t\n]/ /g for @f;
            print $w join("\t", @f), "\n";
        }
        close $w;
        POSIX::_exit(0);
    }
    close $w;
}

# ============================================================== the login redirect
my ($first, $second);
{
    my $b = browser();
    my $path = "$orders?x=1&y=two%20words";
    $first = $b->login_start($path);
    my $res = $first->{res};
    no_problems('page load without a session: 302 to the authorization endpoint',
                login_redirect_problems($res));
    is($first->{endpoint}, $authz, 'Location: the discovered authorization_endpoint, nothing added to it');
    my $p = $first->{params};
    is(join(',', sort @{ $first->{names} || [] }),
       'client_id,code_challenge,code_challenge_method,nonce,redirect_uri,response_type,scope,state',
       'authorization request: exactly these parameters, each once');
    is($p->{response_type}, 'code', 'response_type=code');
    is($p->{client_id}, 'web-client', 'client_id: OAuthTokenClient');
    is($p->{redirect_uri}, "$base/oidc/callback", 'redirect_uri: absolute, this host and port, OAuthTokenRedirectURI');
    is($p->{scope}, 'openid profile email', 'scope: openid + OAuthTokenLoginScope');
    is($p->{code_challenge_method}, 'S256', 'code_challenge_method=S256');
    like($p->{code_challenge} // '', qr/^$B64{43}$/, 'code_challenge: base64url SHA-256');
    like($p->{state} // '', qr/^$B64{22,}$/, 'state: base64url, at least 128 bits');
    like($p->{nonce} // '', qr/^$B64{22,}$/, 'nonce: base64url, at least 128 bits');
    isnt($p->{state}, $p->{nonce}, 'state and nonce differ');
    is($res->header('Cache-Control'), 'no-store', 'redirect: Cache-Control: no-store');

    my @sc = OT::OIDC::set_cookies($res);
    is(scalar @sc, 1, 'one Set-Cookie on the redirect') or diag join "\n", map { $_->{raw} } @sc;
    my $name = OT::OIDC::binding_cookie_name($p->{state} // '');
    like($sc[0]{raw} // '', qr/^\Q$name\E=$B64{43}; Path=\/; HttpOnly; SameSite=Lax; Max-Age=600$/,
         'binding cookie: oauth_login_<16 of base64url(SHA-256(state))>=<random>; Path=/; HttpOnly; SameSite=Lax; Max-Age=600');

    $second = $b->login_start($path);
    my $q = $second->{params};
    ok($q->{state} && $q->{state} ne $p->{state} && $q->{nonce} ne $p->{nonce}
       && $q->{code_challenge} ne $p->{code_challenge}
       && ($second->{binding}[1] // '') ne ($first->{binding}[1] // ''),
       'a second login: new state, nonce, PKCE challenge and binding');

    my $nav = $b->login_start($orders, headers => ['Sec-Fetch-Mode' => 'navigate']);
    no_problems('Sec-Fetch-Mode: navigate is a page load: 302', login_redirect_problems($nav->{res}));

    # Not top-level page loads: 401, no redirect, no pending login.
    my @api = (
        ['XHR (X-Requested-With)', GET => [Accept => $OT::OIDC::PAGE_ACCEPT, 'X-Requested-With' => 'XMLHttpRequest']],
        ['Accept: application/json', GET => [Accept => 'application/json']],
        ['no Accept', GET => []],
        ['Accept: */*', GET => [Accept => '*/*']],
        ['Sec-Fetch-Mode: cors', GET => [Accept => $OT::OIDC::PAGE_ACCEPT, 'Sec-Fetch-Mode' => 'cors']],
        ['POST', POST => [Accept => $OT::OIDC::PAGE_ACCEPT, 'Content-Type' => 'application/x-www-form-urlencoded'], 'a=1'],
    );
    for my $c (@api) {
        my ($what, $method, $h, $body) = @$c;
        my $r = browser()->request($method => $orders, headers => $h, defined $body ? (content => $body) : ());
        no_problems("no session, $what: 401 without a redirect", no_login_401_problems($r));
    }
}

# ============================================================== a full login
my $alice = browser();
my $alice_login;
{
    my $path = "$orders?x=1&y=two%20words&mark=$run";
    $alice_login = eval { $alice->login($idp, $path) };
    ok($alice_login, 'alice logs in through the provider') or diag $@;
    $alice_login ||= {};
    my $cb = $alice_login->{callback};
    SKIP: {
        skip 'no callback answer', 6 unless $cb;
        like($alice_login->{callback_url}, qr{^\Q$base\E/oidc/callback\?code=[^&]+&state=\Q$alice_login->{state}\E&iss=},
             'the provider sent the browser to the callback with code, state and iss');
        is($cb->code, 302, 'callback: 302');
        is($cb->header('Location'), $path, 'callback: back to the page first asked for, query included');
        my ($s) = OT::OIDC::set_cookie_named($cb, 'oauth_session');
        like($s ? $s->{raw} : '', qr/^oauth_session=$B64{43}; Path=\/; HttpOnly; SameSite=Lax$/,
             'session cookie: oauth_session=<43 base64url chars>; Path=/; HttpOnly; SameSite=Lax (no Secure on http)');
        my ($bc) = OT::OIDC::set_cookie_named($cb, $alice_login->{binding}[0]);
        is($bc ? $bc->{raw} : '', "$alice_login->{binding}[0]=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0",
           'callback: the binding cookie is deleted');
        is($cb->header('Cache-Control'), 'no-store', 'callback: Cache-Control: no-store');
    }

    my $off = log_offset($access_log);
    my $res = $alice->page($path);
    no_problems('the page with the session: 200 for alice', accepted($res, 'alice'));
    is($res->content, qq({"orders":[{"id":1,"item":"tea"}]}\n), 'the page is the real file');
    is($res->header('X-Oauth-Issuer'), $idp->url, 'OAUTH_ISSUER: the provider');
    is($res->header('X-Oauth-Client-Id'), 'web-client', 'OAUTH_CLIENT_ID: the login client');
    is(join(' ', sort split / /, $res->header('X-Oauth-Scope') // ''), 'email openid profile',
       'OAUTH_SCOPE: the granted scopes');
    is($res->header('X-Seen-Email'), 'alice@example.test', 'OAuthTokenPassClaim email: the ID token\'s claim reaches the backend');
    my @lines = wait_for_log($access_log, $off, qr/ alice web-client "GET \Q$path\E HTTP\/1\.1" 200$/);
    ok(@lines, '%u in the access log: alice') or diag log_since($access_log, $off);

    no_problems('with the session, an XHR is served too', accepted($alice->xhr($orders), 'alice'));
    my $forged = $alice->page($orders, headers => ['X-Email' => 'mallory@example.test']);
    is($forged->header('X-Seen-Email'), 'alice@example.test', 'a client-sent X-Email never reaches the backend');
}

# ============================================================== several tabs, fixation
{
    my $b = browser();
    my $t1 = pending_login($b, "$orders?tab=1");
    my $t2 = pending_login($b, "$orders?tab=2");
    my $r2 = $b->page($t2->{callback_url});
    my $r1 = $b->page($t1->{callback_url});
    is(($r2->header('Location') // $r2->status_line) . ' ' . ($r1->header('Location') // $r1->status_line),
       "$orders?tab=2 $orders?tab=1", 'two tabs logging in at once: each lands on its own page');
    no_problems('two tabs: the browser has a session', accepted($b->page($orders), 'alice'));

    my $planted = 'A' x 43;
    my $v = browser();
    $v->set_cookie(oauth_session => $planted);
    my $s = $v->login_start($orders);
    no_problems('a planted session id is no session: login', login_redirect_problems($s->{res}));
    no_problems('the planted cookie is deleted', session_deleted_problems($s->{res}));
    $v->set_cookie(oauth_session => $planted);
    $s->{callback_url} = $v->at_provider($idp, $s->{location});
    $v->page($s->{callback_url});
    ok($v->session && $v->session ne $planted, 'login: a fresh session id, never the planted one');
    my $again = eval { browser()->login($idp, $orders) };
    ok($again && $again->{session} ne ($alice_login->{session} // ''), 'every login gets its own session id');
}

# ============================================================== Require oauth-claim
{
    no_problems('Require oauth-claim groups staff: alice (groups staff orders) 200',
                accepted($alice->page('/claim-staff/api/orders.json'), 'alice'));
    my $res = $alice->page('/claim-admins/api/orders.json');
    is($res->code, 403, 'Require oauth-claim groups admins: alice 403');
    my $bob = browser();
    my $l = eval { $bob->login($idp, '/claim-staff/api/orders.json', login => 'bob') };
    ok($l, 'bob logs in') or diag $@;
    is($bob->page('/claim-staff/api/orders.json')->code, 403, 'Require oauth-claim groups staff: bob (groups users) 403');
    no_problems('bob on a valid-user page: 200 as bob', accepted($bob->page($orders), 'bob'));
}

# ============================================================== callback attacks
{
    # Replay: the same callback again, also with the binding cookie put back.
    my $b = browser();
    my $s = pending_login($b);
    my $binding = [@{ $s->{binding} }];
    my $ok = $b->page($s->{callback_url});
    is($ok->code, 302, 'replay: the first callback logs in');
    my $c = browser();
    $c->set_cookie(@$binding);
    no_problems('replay: the same callback (code and state) again, binding cookie included: 400',
                error_page_problems($c->page($s->{callback_url}), 400, $c));
    no_problems('replay: the same callback in the browser that logged in: 400',
                error_page_problems($b->page($s->{callback_url}, cookie => "$binding->[0]=$binding->[1]"), 400));

    # Another browser's state: no binding cookie.
    my $victim = browser();
    my $attacker = browser();
    my $as = pending_login($attacker);
    no_problems('another browser\'s callback (no binding cookie): 400',
                error_page_problems($victim->page($as->{callback_url}), 400, $victim));
    no_problems('that state is used up: its own browser then gets 400 too',
                error_page_problems($attacker->page($as->{callback_url}), 400, $attacker));

    # A binding cookie of the right name with another value.
    my $w = browser();
    my $ws = pending_login($w);
    my $x = browser();
    $x->set_cookie($ws->{binding}[0], 'B' x 43);
    no_problems('callback with a wrong binding cookie: 400',
                error_page_problems($x->page($ws->{callback_url}), 400, $x));

    # The binding cookie of another login of the same browser.
    my $y = browser();
    my $y1 = pending_login($y, "$orders?y=1");
    my $y2 = $y->login_start("$orders?y=2");
    $y->delete_cookie($y1->{binding}[0]);
    no_problems('callback with only the binding cookie of another login: 400',
                error_page_problems($y->page($y1->{callback_url}), 400, $y));

    # Tampered state; the real one still works afterwards.
    my $t = browser();
    my $ts = pending_login($t);
    my $bad = $ts->{state};
    substr($bad, -1) = substr($bad, -1) eq 'A' ? 'B' : 'A';
    no_problems('tampered state: 400', error_page_problems($t->page(with_param($ts->{callback_url}, state => $bad)), 400, $t));
    no_problems('no state: 400', error_page_problems($t->page(with_param($ts->{callback_url}, state => undef)), 400, $t));
    is($t->page($ts->{callback_url})->code, 302, 'a tampered state does not use up the real one');

    # The provider's error answer: a page, escaped.
    my $e = browser();
    my $es = $e->login_start($orders);
    my $xss = '<script>alert(1)</script>';
    my $res = $e->page("/oidc/callback?error=access_denied&error_description=" . URI::Escape::uri_escape($xss)
                       . "&state=$es->{state}");
    no_problems('provider error=access_denied: 400 page', error_page_problems($res, 400, $e));
    like($res->content, qr/access_denied/, 'the page says what the provider answered');
    unlike($res->content, qr/<script|alert\(1\)<\/script/, 'error_description is never echoed raw');
    $res = $e->page('/oidc/callback?error=' . URI::Escape::uri_escape('<img src=x onerror=alert(1)>')
                    . '&error_description=' . URI::Escape::uri_escape($xss));
    no_problems('an error answer without state: 400 page', error_page_problems($res, 400, $e));
    unlike($res->content, qr/<img|<script/, 'the error code is HTML-escaped');

    # RFC 9207 iss.
    my $i = browser();
    my $is = pending_login($i);
    no_problems('iss of another issuer: 400',
                error_page_problems($i->page(with_param($is->{callback_url}, iss => 'http://evil.example')), 400, $i));
    $is = pending_login($i);
    no_problems('iss missing although the provider announces it: 400',
                error_page_problems($i->page(with_param($is->{callback_url}, iss => undef)), 400, $i));

    # The token endpoint refuses the code.
    $is = pending_login($i);
    no_problems('a code the token endpoint refuses: 401 page',
                error_page_problems($i->page(with_param($is->{callback_url}, code => 'not-a-code')), 401, $i));

    # The token endpoint fails.
    $is = pending_login($i);
    $idp->fail('token');
    $res = $i->page($is->{callback_url});
    $idp->fail('none');
    no_problems('token endpoint answering 500: 503 page', error_page_problems($res, 503, $i));
    is($res->header('Retry-After'), '5', '503 page: Retry-After: 5');
}

# ============================================================== ID tokens the module must refuse
{
    my $now = time;
    my @cases = (
        ['a nonce of another login', { nonce => 'n-' . ('x' x 40) }],
        ['no nonce', { nonce => undef }],
        ['an ID token for another client', { aud => 'web-client-2', azp => 'web-client-2' }],
        ['several audiences, no azp', { aud => ['web-client', 'web-client-2'] }],
        ['azp another client', { aud => ['web-client', 'web-client-2'], azp => 'web-client-2' }],
        ['another issuer', { iss => 'http://evil.example' }],
        ['expired', { exp => int($now) - 120, iat => int($now) - 400 }],
        ['issued two hours ago', { iat => int($now) - 7200 }],
        ['no sub', { sub => undef }],
        ['a broken signature', {}, 'bad'],
    );
    for my $c (@cases) {
        my ($what, $claims, $sig) = @$c;
        my $b = browser();
        my $s = pending_login($b);
        $idp->tamper_id_token(claims => $claims, $sig ? (signature => $sig) : ());
        my $res = $b->page($s->{callback_url});
        my $served = ($idp->token_responses)[-1] || {};
        my $tampered = eval { my $c2 = OT::Provider::jwt_claims($served->{id_token} // '');
                              !grep { !_same($c2->{$_}, $claims->{$_}) } keys %$claims } && 1;
        no_problems("ID token with $what: 401, no session",
                    error_page_problems($res, 401, $b),
                    $tampered ? () : 'the fixture did not serve the tampered ID token');
    }
    $idp->tamper_id_token(off => 1);

    # The same re-signing with a harmless change is accepted: the refusals
    # above are for what changed.
    my $b = browser();
    my $s = pending_login($b);
    $idp->tamper_id_token(claims => { aud => ['web-client', 'web-client-2'], azp => 'web-client', extra => 1 });
    my $res = $b->page($s->{callback_url});
    ok($res->code == 302 && $b->session, 'control: a re-signed ID token with azp = this client is accepted')
        or diag $res->as_string;
}

sub _same {
    my ($x, $y) = @_;
    return !defined $x && !defined $y if !defined $x || !defined $y;
    return $json->encode([$x]) eq $json->encode([$y]);
}

# ============================================================== idle and absolute expiry (/short/: 2 4)
{
    my $b = browser();
    my $l = eval { $b->login($idp, '/short/api/orders.json') };
    ok($l && $l->{landing} eq '/short/api/orders.json', 'short: logged in through /short/');
    no_problems('short: 200 at once', accepted($b->page('/short/api/orders.json'), 'alice'));
    my $old = $b->session;
    sleep 3.2;
    my $res = $b->page('/short/api/orders.json');
    no_problems('short: idle 3 s > 2 s: a page load starts a new login', login_redirect_problems($res));
    no_problems('short: the expired session cookie is deleted', session_deleted_problems($res));
    no_problems('short: the expired session is gone for the other locations too',
                login_redirect_problems($b->page($orders, cookie => "oauth_session=$old")));

    my $x = browser();
    $l = eval { $x->login($idp, '/short/api/orders.json') };
    sleep 3.2;
    $res = $x->xhr('/short/api/orders.json');
    no_problems('short: an XHR with an expired session: 401, no login', no_login_401_problems($res));
    no_problems('short: ... and the cookie is deleted', session_deleted_problems($res));
}

# ============================================================== logout
{
    # Local and at the provider.
    my $b = browser();
    my $l = eval { $b->login($idp, $orders) };
    my $sid = $idp->logins->[-1]{sid};
    my $old = $b->session;
    my $res = $b->request(GET => '/oidc/logout');
    is($res->code, 302, 'logout with a session: 302');
    my ($ep, $p, $names) = OT::OIDC::split_url($res->header('Location') // '');
    is($ep, $end_session, 'logout: to the provider\'s end_session_endpoint');
    is(join(',', sort @{ $names || [] }), 'client_id,id_token_hint,post_logout_redirect_uri',
       'logout: id_token_hint, client_id, post_logout_redirect_uri');
    is($p->{client_id}, 'web-client', 'logout: client_id');
    is($p->{post_logout_redirect_uri}, "$base/", 'logout: post_logout_redirect_uri = this host\'s /');
    my $hint = eval { OT::Provider::jwt_claims($p->{id_token_hint}) } || {};
    is(join(' ', map { $hint->{$_} // '-' } qw(iss sub aud sid)), join(' ', $idp->url, 'alice', 'web-client', $sid // '-'),
       'id_token_hint: the ID token of this login');
    no_problems('logout: the session cookie is deleted', session_deleted_problems($res));
    no_problems('logout: the session is gone from the store (the old cookie starts a login)',
                login_redirect_problems($b->page($orders, cookie => "oauth_session=$old")));
    my $back = eval { $b->at_provider($idp, $res->header('Location')) } // "died: $@";
    is($back, "$base/", 'at the provider: logout confirmed, back on post_logout_redirect_uri');

    # A local return_to.
    $l = eval { $b->login($idp, $orders) };
    $res = $b->request(GET => '/oidc/logout?return_to=/index.html');
    ($ep, $p) = OT::OIDC::split_url($res->header('Location') // '');
    is($p->{post_logout_redirect_uri}, "$base/index.html", 'logout?return_to=/index.html: post_logout_redirect_uri');
    $back = eval { $b->at_provider($idp, $res->header('Location')) } // "died: $@";
    is($back, "$base/index.html", 'at the provider: back on /index.html');

    # Without a session: straight to the local target.
    my $n = browser();
    $res = $n->request(GET => '/oidc/logout');
    is($res->code . ' ' . ($res->header('Location') // ''), '302 /', 'logout without a session: 302 to /');
    $res = $n->request(GET => '/oidc/logout?return_to=/index.html%3Fa%3D1');
    is($res->header('Location'), '/index.html?a=1', 'logout without a session: to return_to');

    # Open redirects.
    for my $target ('//evil.com', 'https://evil.com', '/\\evil.com', '/%2F/evil.com', '/%5Cevil.com',
                    'http:evil.com', "/\t/evil.com", 'javascript:alert(1)') {
        my $q = URI::Escape::uri_escape($target);
        $res = $n->request(GET => "/oidc/logout?return_to=$q");
        is($res->header('Location'), '/', "logout?return_to=" . ($target =~ s/\t/\\t/r) . ': replaced by /');
    }
    $l = eval { $b->login($idp, $orders) };
    $res = $b->request(GET => '/oidc/logout?return_to=' . URI::Escape::uri_escape('//evil.com'));
    ($ep, $p) = OT::OIDC::split_url($res->header('Location') // '');
    is($p->{post_logout_redirect_uri}, "$base/", 'logout with a session, return_to=//evil.com: post_logout_redirect_uri is /');
}

# ============================================================== open redirects at login
{
    my $hp = URI->new($base)->host_port;
    for my $c (["an absolute request target", "GET $base$orders?abs=1 HTTP/1.1"],
               ['a scheme-relative path //evil.com/', 'GET //evil.com/app/ HTTP/1.1'],
               ['a path /\\evil.com/', 'GET /\\evil.com/ HTTP/1.1'],
               ['a path /%5Cevil.com/', 'GET /%5Cevil.com/ HTTP/1.1']) {
        my ($what, $line) = @$c;
        my $b = browser();
        my $l = eval { $b->login($idp, undef, raw => "$line\nAccept: $OT::OIDC::PAGE_ACCEPT\n") };
        ok($l, "login started by $what") or diag $@;
        is($l && $l->{landing}, '/', "login started by $what: back to /, never off-site");
    }
}

# ============================================================== back-channel logout
my $kid = $idp->signing_kid('RS256');
my $pem = $idp->private_pem($kid);
sub logout_token {
    my (%c) = @_;
    my %claims = (iss => $idp->url, aud => 'web-client', iat => int(time), jti => "jti-$run-" . int(rand 1e9),
                  events => { 'http://schemas.openid.net/event/backchannel-logout' => {} });
    for (keys %c) { if (defined $c{$_}) { $claims{$_} = $c{$_} } else { delete $claims{$_} } }
    my %o = (alg => 'RS256', key => $pem, kid => $kid, typ => 'logout+jwt', claims => \%claims);
    return \%o;
}
sub post_logout_token {
    my ($token) = @_;
    return browser()->request(POST => '/oidc/backchannel', cookies => 0,
        headers => ['Content-Type' => 'application/x-www-form-urlencoded'],
        content => 'logout_token=' . URI::Escape::uri_escape($token));
}
sub bc_400_problems {
    my ($res) = @_;
    my @p;
    push @p, sprintf('status %d, want 400', $res->code) unless $res->code == 400;
    my $body = $res->content // '';
    push @p, "body '$body', want {\"error\":\"invalid_request\"}"
        unless eval { $json->decode($body)->{error} eq 'invalid_request' };
    push @p, 'Content-Type ' . ($res->header('Content-Type') // 'absent') unless ($res->header('Content-Type') // '') =~ m{^application/json};
    return @p;
}
{
    # Through the provider: the session of that sid ends, another one of alice stays.
    my $x = browser();
    my $y = browser();
    eval { $x->login($idp, $orders) };
    my $x_sid = $idp->logins->[-1]{sid};
    eval { $y->login($idp, $orders) };
    my $y_sid = $idp->logins->[-1]{sid};
    isnt($x_sid, $y_sid, 'two browsers: two provider sessions (sids)');
    my $bc = eval { $idp->backchannel_logout(client => 'web-client', sub => 'alice', sid => $x_sid) } || { error => $@ };
    ok($bc->{ok}, 'the provider delivered a logout token for the first sid') or diag $json->encode($bc);
    no_problems('back-channel logout: that session ended (next page load logs in again)',
                login_redirect_problems($x->page($orders)));
    no_problems('back-channel logout: alice\'s other session (another sid) stays', accepted($y->page($orders), 'alice'));

    # A logout token of our own making, signed with the provider's key.
    my ($t_y) = mint_many(logout_token(sid => $y_sid));
    my $z = browser();
    eval { $z->login($idp, $orders) };
    my $z_sid = $idp->logins->[-1]{sid};
    my @invalid = (
        ['a broken signature', undef],
        ['a nonce', { sid => $z_sid, nonce => 'n-1' }],
        ['no events', { sid => $z_sid, events => undef }],
        ['another event', { sid => $z_sid, events => { 'http://schemas.openid.net/event/other' => {} } }],
        ['aud another client', { sid => $z_sid, aud => 'web-client-2' }],
        ['another issuer', { sid => $z_sid, iss => 'http://evil.example' }],
        ['neither sid nor sub', {}],
        ['no jti', { sid => $z_sid, jti => undef }],
        ['iat an hour ago', { sid => $z_sid, iat => int(time) - 3600 }],
        ['no iat', { sid => $z_sid, iat => undef }],
    );
    my @specs = map { logout_token(%{ $_->[1] || { sid => $z_sid } }) } @invalid;
    my @tokens = mint_many(@specs);
    $tokens[0] = tamper_segment($tokens[0], 2, 'A' x 342);
    my $res = post_logout_token($t_y);
    is($res->code, 200, 'a valid logout token for a sid: 200');
    no_problems('... and that session ended', login_redirect_problems($y->page($orders)));
    no_problems('the same logout token again (jti replayed): 400 invalid_request', bc_400_problems(post_logout_token($t_y)));
    for my $i (0 .. $#invalid) {
        no_problems("a logout token with $invalid[$i][0]: 400 invalid_request", bc_400_problems(post_logout_token($tokens[$i])));
    }
    no_problems('a logout token that is no JWT: 400', bc_400_problems(post_logout_token('not-a-jwt')));
    no_problems('no logout_token: 400', bc_400_problems(browser()->request(POST => '/oidc/backchannel',
        headers => ['Content-Type' => 'application/x-www-form-urlencoded'], content => 'other=1')));
    no_problems('after the invalid logout tokens, that session is still there', accepted($z->page($orders), 'alice'));
    my $get = browser()->request(GET => '/oidc/backchannel');
    is($get->code, 405, 'GET on the back-channel logout path: 405');

    # By sub alone: every session of that subject, and no other.
    my @bobs = (browser(), browser());
    eval { $_->login($idp, $orders, login => 'bob') } for @bobs;
    $res = post_logout_token(mint(%{ logout_token(sub => 'bob') }));
    is($res->code, 200, 'a logout token with sub only: 200');
    no_problems("... every session of bob ended ($_)", login_redirect_problems($bobs[$_]->page($orders))) for 0, 1;
    no_problems('... alice\'s session stays', accepted($z->page($orders), 'alice'));
}

# ============================================================== the login's access token to the backend
{
    $idp->config(default_resource => 'https://api.test');
    my $b = browser();
    my $l = eval { $b->login($idp, '/pass-at/api/orders.json') };
    ok($l, 'login for /pass-at/ (a JWT access token for https://api.test)') or diag $@;
    my @answers = $idp->token_responses;
    my $got = $answers[-1] || {};
    my $res = $b->page('/pass-at/api/orders.json', headers => [Authorization => 'Bearer forged-by-the-client']);
    no_problems('pass-at: 200', accepted($res, 'alice'));
    my $seen = $res->header('X-Seen-Authorization') // '';
    is($seen, "Bearer " . ($got->{access_token} // '?'), 'the backend sees Authorization: Bearer <the login\'s access token>');
    my ($h, $c) = eval { OT::Provider::jwt_parts($seen =~ s/^Bearer //r) };
    is(join(' ', map { $_ // '-' } $h->{typ}, $c->{sub}, $c->{client_id}, $c->{aud}),
       'at+jwt alice web-client https://api.test', 'it is the RFC 9068 JWT access token of alice\'s login');
    my %id_tokens = map { ($_->{id_token} // '') => 1 } @answers;
    ok(!$id_tokens{ $seen =~ s/^Bearer //r } && $seen !~ /\Q$got->{id_token}\E/,
       'never the ID token');
    is($b->page('/no-pass-at/api/orders.json')->header('X-Seen-Authorization'), '',
       'without OAuthTokenPassAccessToken the backend sees no Authorization');

    # Refreshed before it expires: a 30 s token is renewed on use.
    $idp->config(access_token_ttl => 30);
    my $r = browser();
    eval { $r->login($idp, '/pass-at/api/orders.json') };
    my $code_at = (($idp->token_responses)[-1] || {})->{access_token} // '';
    my $t1 = $r->page('/pass-at/api/orders.json')->header('X-Seen-Authorization') // '';
    my $t2 = $r->page('/pass-at/api/orders.json')->header('X-Seen-Authorization') // '';
    my @after = $idp->token_responses;
    my %issued = map { ('Bearer ' . ($_->{access_token} // '')) => 1 } @after;
    ok($t1 ne "Bearer $code_at" && $issued{$t1} && $t2 ne $t1 && $issued{$t2},
       'an access token that expires within a minute is refreshed: the backend gets the new one')
        or diag "code: $code_at\nfirst: $t1\nsecond: $t2";
    my %ids = map { ($_->{id_token} // '') => 1 } @after;
    ok(!$ids{ $t1 =~ s/^Bearer //r } && !$ids{ $t2 =~ s/^Bearer //r }, 'refreshed: still never an ID token');
    reset_fixture();
}

# ============================================================== the absolute limit (/touch/), concluded
{
    my %r;
    while (my $line = <$touch_fh>) {
        chomp $line;
        my ($at, $took, $code, $loc, $cookies, $sub) = split /\t/, $line, -1;
        $r{$at} = { took => $took, code => $code, location => $loc, cookies => $cookies, sub => $sub };
    }
    waitpid $touch_pid, 0;
    my $fmt = sub { my $x = $_[0] or return 'no answer'; sprintf '%s at %.1f s (Location %s, Set-Cookie %s)',
                    $x->{code}, $x->{took}, $x->{location} || '-', $x->{cookies} || '-' };
    my ($r1, $r2, $r3) = @r{qw(61.5 65.5 70.2)};
    ok($r1 && $r1->{code} == 200 && $r1->{sub} eq 'alice' && $r1->{took} < 63,
       'touch: used at 61 s (idle 63): 200, last use written back') or diag $fmt->($r1);
    ok($r2 && $r2->{code} == 200 && $r2->{sub} eq 'alice' && $r2->{took} < 67,
       'touch: at 65 s, 4 s after the last use: 200 (the write-back counted)') or diag $fmt->($r2);
    ok($r3 && $r3->{code} == 302 && index($r3->{location}, "$authz?") == 0,
       'touch: at 70 s, past the absolute 68 s though used 5 s ago: a new login') or diag $fmt->($r3);
    ok($r3 && $r3->{cookies} =~ /(?:^| \| )oauth_session=; Path=\/; HttpOnly; SameSite=Lax; Max-Age=0(?:$| \| )/,
       'touch: the cookie is deleted') or diag $fmt->($r3);
}

done_testing();
