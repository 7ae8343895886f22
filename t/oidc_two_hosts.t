# Two hosts, one session (issue 4): two throw-away httpd instances share OAuthTokenSessionStore
# redis:127.0.0.1:PORT (a redis-server started here). Log in through A, continue through B, log out
# through B (gone on A too); a back-channel logout reaching A ends the session on both; then Redis
# stops: both hosts answer a clear 503 page with Retry-After, never a login loop, and keep running.
# Everything started here (redis-server, the provider fixture, both httpd) is stopped by PID at
# the end, also when a test dies. OT_KEEP_TMP=1 keeps the temporary directory (both hosts' logs).
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Apache::Test qw(-withtestmore);
use File::Path qw(make_path);
use File::Temp qw(tempdir);
use IO::Socket::INET ();
use POSIX qw(WNOHANG _exit);
use Time::HiRes qw(time sleep);
use OT::Test;
use OT::Provider ();
use OT::OIDC;

my $REDIS = $ENV{OT_REDIS_SERVER} || '/usr/bin/redis-server';
my @why;
push @why, OT::IdP::unavailable() // ();
push @why, "no $REDIS (apt-get install redis-server; scripts/install-deps does)" unless -x $REDIS;
my $libexec = apxs_query('LIBEXECDIR');
push @why, "no mod_socache_redis.so in $libexec" unless -f "$libexec/mod_socache_redis.so";
if (@why) {
    # What this file needs is part of the test set-up: a failure, never a skip.
    plan tests => 1;
    ok(0, 'redis-server, the provider fixture and mod_socache_redis are available');
    diag $_ for @why;
    exit 1;
}

my $httpd = httpd_binary();
my $module = top_dir() . '/build/mod_oauth_token.so';
my $tmp = tempdir('ot-two-hosts-XXXXXX', TMPDIR => 1, CLEANUP => !$ENV{OT_KEEP_TMP});   # OT_KEEP_TMP=1: keep logs
chmod 0755, $tmp;   # httpd's children (nobody when the suite runs as root) read the documents

# ---------------------------------------------------------------- processes, stopped in END

my %pids;    # name => pid of what this file started
our $IDP;

sub stop_pid {
    my ($name) = @_;
    my $pid = delete $pids{$name} or return;
    kill 'TERM', $pid;
    my $deadline = time + 15;
    while (waitpid($pid, WNOHANG) != $pid) {
        if (time > $deadline) { kill 'KILL', $pid; waitpid($pid, 0); last }
        sleep 0.05;
    }
}

END {
    local $?;
    stop_pid($_) for grep { /^httpd/ } sort keys %pids;
    stop_pid($_) for sort keys %pids;
    $IDP->stop if $IDP;
}
$SIG{$_} = sub { exit 1 } for qw(INT TERM HUP);

sub free_port {
    my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0, Proto => 'tcp',
                                  Listen => 1, ReuseAddr => 1) or die "no free port: $!";
    my $p = $s->sockport;
    close $s;
    return $p;
}

sub port_open {
    my ($port) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port", Timeout => 1) or return 0;
    close $s;
    return 1;
}

sub spawn {
    my ($name, $log, @cmd) = @_;
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        open STDIN, '<', '/dev/null';
        open STDOUT, '>>', $log or _exit(127);
        open STDERR, '>&', \*STDOUT or _exit(127);
        exec @cmd or do { print STDERR "exec $cmd[0]: $!\n"; _exit(127) };
    }
    $pids{$name} = $pid;
    return $pid;
}

sub slurp { my ($f) = @_; open my $fh, '<', $f or return ''; local $/; <$fh> // '' }

sub wait_for {
    my ($what, $name, $log, $cond) = @_;
    my $deadline = time + 30;
    until ($cond->()) {
        die "$what exited before it was ready:\n" . slurp($log) . "\n"
            if waitpid($pids{$name}, WNOHANG) == $pids{$name} && delete $pids{$name};
        die "$what not ready after 30 s:\n" . slurp($log) . "\n" if time > $deadline;
        sleep 0.05;
    }
}

# ---------------------------------------------------------------- redis, the provider, two hosts

my $redis_port = free_port();
my ($port_a, $port_b) = (free_port(), free_port());
$port_b = free_port() while $port_b == $port_a;

my $redis_log = "$tmp/redis.log";
spawn(redis => $redis_log, $REDIS, '--port', $redis_port, '--bind', '127.0.0.1', '--save', '',
      '--appendonly', 'no', '--daemonize', 'no', '--dir', $tmp, '--protected-mode', 'yes');
wait_for('redis-server', 'redis', $redis_log, sub { port_open($redis_port) });

# Both hosts' callbacks and post-logout targets; the back-channel URI is host A's.
$IDP = OT::IdP->start(state => "$tmp/idp", %{ OT::OIDC::rp_uris([$port_a, $port_b], names => ['127.0.0.1']) });

make_path("$tmp/htdocs/app");
for (['index.html', "<html><body>two hosts</body></html>\n"], ['app/page.html', "<html><body>the app</body></html>\n"]) {
    open my $fh, '>', "$tmp/htdocs/$_->[0]" or die $!;
    print $fh $_->[1];
    close $fh;
}
chmod 0755, "$tmp/htdocs", "$tmp/htdocs/app";
chmod 0644, "$tmp/htdocs/index.html", "$tmp/htdocs/app/page.html";

my %compiled = map { /^\s*(mod_\w+)\.c/ ? ($1 => 1) : () } `"$httpd" -l 2>/dev/null`;
my $user = '';
if ($> == 0) {
    my $group = getgrnam('nogroup') ? 'nogroup' : scalar getgrgid((getpwnam('nobody'))[3]);
    $user = "User nobody\nGroup $group\n";
}

sub host_conf {
    my ($name, $port) = @_;
    my $dir = "$tmp/host-$name";
    make_path("$dir/run", "$dir/logs");
    chmod 0755, $dir, "$dir/run", "$dir/logs";
    my $conf = <<"EOC";
ServerRoot "$dir"
ServerName 127.0.0.1:$port
Listen 127.0.0.1:$port
PidFile "$dir/run/httpd.pid"
DefaultRuntimeDir "$dir/run"
ErrorLog "$dir/logs/error_log"
LogLevel warn oauth_token:info
$user
EOC
    for my $m (qw(mpm_event authn_core authz_core authz_host authz_user headers log_config
                  socache_shmcb socache_redis)) {
        next if $compiled{"mod_$m"};
        $conf .= qq{LoadModule ${m}_module "$libexec/mod_$m.so"\n};
    }
    $conf .= <<"EOC";
LoadModule oauth_token_module "$module"

DocumentRoot "$tmp/htdocs"
<Directory "$tmp/htdocs">
    Require all granted
</Directory>

OAuthTokenSessionStore redis:127.0.0.1:$redis_port
OAuthTokenIssuer ${\ $IDP->url }
OAuthTokenClient web-client web-client-secret
OAuthTokenRedirectURI $OT::OIDC::CALLBACK
OAuthTokenLogoutPath $OT::OIDC::LOGOUT
OAuthTokenBackChannelLogoutPath $OT::OIDC::BACKCHANNEL
<Location /app/>
    AuthType OIDC
    Require valid-user
</Location>

LogFormat "%h %u \\"%r\\" %>s" ot
CustomLog "$dir/logs/access_log" ot
Header always set X-Oauth-Sub "%{OAUTH_SUB}e"
Header always set X-Host "$name"
EOC
    open my $fh, '>', "$dir/httpd.conf" or die $!;
    print $fh $conf;
    close $fh;
    return $dir;
}

my %host;
for ([A => $port_a], [B => $port_b]) {
    my ($name, $port) = @$_;
    my $dir = host_conf($name, $port);
    my $out = `"$httpd" -t -f "$dir/httpd.conf" 2>&1`;
    die "host $name: httpd -t failed:\n$out" if $?;
    spawn("httpd-$name" => "$dir/logs/stderr", $httpd, '-f', "$dir/httpd.conf", '-DFOREGROUND');
    $host{$name} = { dir => $dir, port => $port, base => "http://127.0.0.1:$port",
                     error_log => "$dir/logs/error_log", access_log => "$dir/logs/access_log" };
}
for my $name (qw(A B)) {
    my $h = $host{$name};
    wait_for("httpd $name", "httpd-$name", "$h->{dir}/logs/stderr",
             sub { port_open($h->{port}) && OT::OIDC::Browser->new(base => $h->{base})->request(GET => '/index.html')->code == 200 });
}
diag "redis 127.0.0.1:$redis_port, provider ${\ $IDP->url }, host A $host{A}{base}, host B $host{B}{base}";

# One browser: one cookie jar for both hosts (cookies ignore ports), one at the provider.
sub browser_pair {
    my $on_a = OT::OIDC::Browser->new(base => $host{A}{base});
    my $on_b = OT::OIDC::Browser->new(base => $host{B}{base});
    $on_b->{jar} = $on_a->{jar};
    $on_b->{idp_jar} = $on_a->{idp_jar};
    return ($on_a, $on_b);
}

my $page = '/app/page.html';
my $authz = $IDP->endpoint('authorization');

sub login_redirect_problems {
    my ($res) = @_;
    my @p;
    push @p, sprintf('status %d, want 302', $res->code) unless $res->code == 302;
    my $loc = $res->header('Location') // '';
    push @p, "Location '$loc' is not the provider's authorization endpoint" unless index($loc, "$authz?") == 0;
    return @p;
}

sub served_problems {
    my ($res, $host) = @_;
    my @p = accepted($res, 'alice');
    push @p, 'X-Host ' . ($res->header('X-Host') // 'absent') . ", want $host"
        unless ($res->header('X-Host') // '') eq $host;
    return @p;
}

# ---------------------------------------------------------------- log in through A, go on through B
my ($ba, $bb) = browser_pair();
{
    my $off_b = log_offset($host{B}{access_log});
    my $l = eval { $ba->login($IDP, "$page?via=a") };
    ok($l, 'login through host A') or diag $@;
    is($l && $l->{landing}, "$page?via=a", 'host A: back on the page first asked for');
    no_problems('host A: the page with the session', served_problems($ba->page($page), 'A'));
    my $res = $bb->page("$page?via=b");
    no_problems('host B: the same session cookie is a session there too', served_problems($res, 'B'));
    my @lines = wait_for_log($host{B}{access_log}, $off_b, qr/ alice "GET \Q$page\E\?via=b HTTP\/1\.1" 200$/);
    ok(@lines, 'host B: %u is alice in its access log') or diag log_since($host{B}{access_log}, $off_b);
    no_problems('host B: an XHR with the session', served_problems($bb->xhr($page), 'B'));
}

# ---------------------------------------------------------------- log out through B
{
    my $old = $bb->session;
    my $res = $bb->request(GET => $OT::OIDC::LOGOUT);
    like($res->header('Location') // '', qr{^\Q${\ $IDP->endpoint('end_session')}\E\?id_token_hint=},
         'logout through B: on to the provider\'s end_session_endpoint');
    ok(!defined $bb->session, 'logout through B: the session cookie is deleted');
    no_problems('after logout through B: host A has no session for the old cookie',
                login_redirect_problems($ba->page($page, cookie => "oauth_session=$old")));
    is($ba->xhr($page, cookie => "oauth_session=$old")->code, 401, '... and an XHR to A gets 401');
    no_problems('... nor has host B', login_redirect_problems($bb->page($page, cookie => "oauth_session=$old")));
    my $back = eval { $bb->at_provider($IDP, $res->header('Location')) } // "died: $@";
    is($back, "$host{B}{base}/", 'logout at the provider, back on host B');
}

# ---------------------------------------------------------------- back-channel logout reaching A
{
    my ($x_a, $x_b) = browser_pair();   # logs in through B
    my ($y_a, $y_b) = browser_pair();   # logs in through A, another provider session
    my $lx = eval { $x_b->login($IDP, $page) };
    my $x_sid = $IDP->logins->[-1]{sid};
    my $ly = eval { $y_a->login($IDP, $page) };
    my $y_sid = $IDP->logins->[-1]{sid};
    ok($lx && $ly && $x_sid && $y_sid && $x_sid ne $y_sid, 'two logins of alice, two provider sessions')
        or diag $@;
    no_problems('x (logged in through B) is served by A', served_problems($x_a->page($page), 'A'));

    my $off_a = log_offset($host{A}{error_log});
    my $bc = eval { $IDP->backchannel_logout(client => 'web-client', sub => 'alice', sid => $x_sid) } || { error => $@ };
    ok($bc->{ok}, 'the provider delivered a logout token to host A') or diag explain $bc;
    ok(wait_for_log($host{A}{error_log}, $off_a, qr/back-channel logout of sid .*: 1 session\(s\) ended/),
       'host A logged the back-channel logout of one session') or diag log_since($host{A}{error_log}, $off_a);
    no_problems('back-channel logout: x has no session on A', login_redirect_problems($x_a->page($page)));
    no_problems('back-channel logout: x has no session on B', login_redirect_problems($x_b->page($page)));
    no_problems('y (another sid) still has its session on A', served_problems($y_a->page($page), 'A'));
    no_problems('y still has its session on B', served_problems($y_b->page($page), 'B'));
    $bc = eval { $IDP->backchannel_logout(client => 'web-client', sub => 'alice', sid => $y_sid) } || { error => $@ };
    no_problems('then y\'s back-channel logout ends it on B too', login_redirect_problems($y_b->page($page)));
}

# ---------------------------------------------------------------- Redis stops
{
    my ($sa, $sb) = browser_pair();
    my $l = eval { $sa->login($IDP, $page) };
    ok($l, 'a new login through A') or diag $@;
    no_problems('before Redis stops: A serves', served_problems($sa->page($page), 'A'));
    no_problems('before Redis stops: B serves', served_problems($sb->page($page), 'B'));
    my $cookie = 'oauth_session=' . ($sa->session // '');
    my %off = map { $_ => log_offset($host{$_}{error_log}) } qw(A B);

    stop_pid('redis');
    ok(!port_open($redis_port), 'redis-server stopped');

    for my $name (qw(A B)) {
        my $h = $host{$name};
        my $c = OT::OIDC::Browser->new(base => $h->{base});
        # Several in a row: a socache provider that marks the server dead may
        # answer "not found" instead of an error for a while.
        for my $i (1 .. 4) {
            my $res = $c->page($page, cookie => $cookie, keep => 0);
            my @p;
            push @p, sprintf('status %d, want 503', $res->code) unless $res->code == 503;
            push @p, 'no Retry-After' unless ($res->header('Retry-After') // '') =~ /^\d+$/;
            push @p, 'Content-Type ' . ($res->header('Content-Type') // 'absent') . ', want text/html'
                unless ($res->header('Content-Type') // '') =~ m{^text/html};
            push @p, 'a redirect (' . $res->header('Location') . '): a login loop in the making'
                if defined $res->header('Location');
            push @p, "Set-Cookie $_->{raw}: the store failed, the session is not known to be gone"
                for grep { $_->{name} eq 'oauth_session' } OT::OIDC::set_cookies($res);
            no_problems("Redis down, host $name, page load $i with the session cookie: 503 page", @p);
        }
        is($c->xhr($page, cookie => $cookie, keep => 0)->code, 503, "Redis down, host $name, XHR with the session cookie: 503");
        my $fresh = $c->page($page, cookies => 0, keep => 0);
        ok($fresh->code == 503 && !defined $fresh->header('Location'),
           "Redis down, host $name, no cookie: 503, no login that could not be finished")
            or diag $fresh->status_line . ' ' . ($fresh->header('Location') // '');
        is($c->request(GET => '/index.html')->code, 200, "Redis down, host $name still serves what needs no session");
        ok($pids{"httpd-$name"} && kill(0, $pids{"httpd-$name"}) && waitpid($pids{"httpd-$name"}, WNOHANG) == 0,
           "Redis down, host $name: httpd is still running");
        my $log = log_since($h->{error_log}, $off{$name});
        ok($log =~ /\[oauth_token:(?:error|warn|crit)\].*AH99\d{3}/, "host $name logged the store failure")
            or diag $log;
        unlike(slurp($h->{error_log}), qr/exit signal|Segmentation fault|AddressSanitizer/,
               "host $name: no child crashed");
    }
}

done_testing();
