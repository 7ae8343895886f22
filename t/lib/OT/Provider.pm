# The OpenID provider fixtures of the Apache::Test run (issue 3): started by t/TEST.PL
# before httpd, found again by the .t files through t/state/.
#
#   t/TEST.PL:  OT::Provider::start_all();  ...  OT::Provider::stop_all();
#   a .t file:  my ($idp, $rot) = OT::Provider::need(qw(idp rot));   # fails (never skips) without node/npm ci
#               $idp->client_credentials_token(...); $rot->restart(rotate => 1); ...
#               my $dead = OT::Provider::env('OT_DEAD_URL');
#
# Each fixture is one t/idp/server.mjs process with its own issuer (and state
# directory: keys, ready file, idp.log), so that the tests of one behaviour
# (rotation, a JWKS flood, a provider going down) never disturb another's
# counters or the module's per-issuer state. httpd reads the URLs from the
# environment (${OT_IDP_URL} ... in t/conf/extra.conf.in); t/state/providers.env
# holds the same for the .t files. The objects are OT::IdP objects (t/idp/IdP.pm)
# that also work from a process that did not start the fixture: stop() and
# restart() (same port) from a .t file, and a fixture outlives the .t that
# restarted it (t/TEST.PL stops what the ready files name at the end of the run).
package OT::Provider;

use strict;
use warnings;

use Carp qw(croak);
use Cwd qw(abs_path);
use File::Basename qw(dirname);
use File::Copy qw(copy);
use File::Path qw(make_path);
use File::Spec::Functions qw(catfile catdir);
use HTTP::Tiny ();
use IO::Socket::INET ();
use POSIX qw(WNOHANG _exit setsid);
use Time::HiRes qw(time sleep);

our ($T_DIR, $STATE);
BEGIN {
    $T_DIR = dirname(dirname(dirname(abs_path(__FILE__))));   # t/lib/OT/Provider.pm -> t
    $STATE = catdir($T_DIR, 'state');
    my $idp_pm = catfile($T_DIR, "idp", "IdP.pm");
    require $idp_pm;
}
our @ISA = ('OT::IdP');

# name => env var of its issuer URL, state directory, options.
#   path       issuer with a path (RFC 8414 path insertion); needs a fixed port
#   keys_from  start with a copy of that fixture's keys (the same JWKS)
#   fail       fail mode set right after start, for the whole run
our @FIXTURES = (
    { name => 'idp',      env => 'OT_IDP_URL' },            # discovery, introspection, caches
    { name => 'path',     env => 'OT_IDP_PATH_URL', path => '/op' },
    { name => 'fallback', env => 'OT_IDP_FALLBACK_URL',     # RFC 8414 document: 404
      fail => ['oauth_authorization_server', status => 404] },
    { name => 'pinmeta',  env => 'OT_IDP_PINMETA_URL' },    # OAuthTokenMetadataURL
    { name => 'pinjwks',  env => 'OT_IDP_PINJWKS_URL', keys_from => 'idp' },   # OAuthTokenJWKS
    { name => 'rot',      env => 'OT_IDP_ROT_URL' },        # key rotation
    { name => 'flood',    env => 'OT_IDP_FLOOD_URL' },      # unknown-kid flood
    { name => 'down',     env => 'OT_IDP_DOWN_URL' },       # stopped and started again
    # Issue 4: the provider of the AuthType OIDC virtual host (ot_oidc), with
    # that host's callback, post-logout and back-channel URIs registered
    # (t/TEST.PL passes them to start_all as rp => {...}).
    { name => 'login',    env => 'OT_IDP_LOGIN_URL', rp => 1 },
);
my %FIXTURE = map { $_->{name} => $_ } @FIXTURES;

# Also in the environment: OT_IDP_MIXUP_URL (the main fixture under another
# name: issuer mix-up), OT_DEAD_URL (a loopback port where connections are
# refused) and OT_STALL_URL (one that accepts connections and never answers).

our $INTROSPECTOR_SECRET_FILE = catfile($STATE, 'introspector.secret');

sub state_dir { my ($name) = @_; catdir($STATE, $name eq 'idp' ? 'idp' : "idp-$name") }
sub rp_file   { catfile(state_dir($_[0]), 'rp.json') }   # the relying-party URIs of an rp fixture
sub env_file  { catfile($STATE, 'providers.env') }
sub stall_pid_file { catfile($STATE, 'stall.pid') }

# ------------------------------------------------------------------ for the .t files

my %ENVFILE;

# The URL (or any value) TEST.PL recorded for this run: env('OT_DEAD_URL').
sub env {
    my ($key) = @_;
    unless (%ENVFILE) {
        open my $fh, '<', env_file()
            or croak 'no ' . env_file() . ': the provider fixtures were not started '
                   . '(run the suite through t/TEST.PL, which starts them before httpd)';
        %ENVFILE = map { /^(\w+)='(.*)'$/ ? ($1, $2) : () } <$fh>;
    }
    return $ENVFILE{$key};
}

# Why the fixtures cannot run (no node, node too old, no node_modules), or undef.
sub unavailable {
    my $why = -f env_file() ? env('OT_PROVIDER_UNAVAILABLE') : undef;
    return $why if defined $why && length $why;
    return OT::IdP::unavailable();
}

# In a .t file: the running fixtures, by name. When they cannot run, the test
# file fails with the reason (a missing provider is a failure, never a skip).
sub need {
    my (@names) = @_;
    my $why = unavailable();
    my @idps;
    unless ($why) {
        @idps = eval { map { __PACKAGE__->attach($_) } @names };
        $why = $@ if $@;
    }
    if ($why) {
        require Test::More;
        Test::More::plan(tests => 1);
        Test::More::ok(0, 'the OpenID provider fixture (t/idp) is running');
        Test::More::diag("provider fixture unavailable: $why");
        Test::More::diag('install node >= 20.18 and run `npm ci` at the top of the tree');
        exit 1;
    }
    return wantarray ? @idps : $idps[0];
}

# An object for a running fixture, from its ready file.
sub attach {
    my ($class, $name) = @_;
    croak "unknown provider fixture '$name'" unless $FIXTURE{$name};
    my $state = state_dir($name);
    my %r = _read_ready($state);
    croak "provider fixture '$name' is not running (no $state/ready); "
        . 'run the suite through t/TEST.PL, which starts it'
        unless $r{pid} && _alive($r{pid});
    my $self = bless {
        name => $name, state => $state, timeout => 20,
        port => $r{port}, pid => $r{pid}, issuer => $r{issuer},
        base => "http://127.0.0.1:$r{port}",
        log => catfile($state, 'idp.log'),
    }, $class;
    $self->{log_offset} = -s $self->{log} // 0;
    $self->{http} = HTTP::Tiny->new(timeout => 10, keep_alive => 0, agent => 'ot-idp-helper');
    # A restart() from a .t file must register the same relying-party URIs.
    if (open my $fh, '<', rp_file($name)) {
        local $/;
        require JSON::PP;
        my $rp = eval { JSON::PP->new->decode(<$fh>) } || {};
        $self->{$_} = $rp->{$_} for grep { defined $rp->{$_} } _rp_keys();
    }
    return $self;
}

sub _rp_keys { qw(redirect_uris post_logout_redirect_uris backchannel_logout_uri) }

sub name { $_[0]{name} }

# Works for fixtures this process did not start (they are children of t/TEST.PL
# or of another .t): TERM, then wait until the process is gone and the port free.
sub stop {
    my ($self) = @_;
    my $pid = delete $self->{pid} or return;
    _terminate($pid);
    return 1;
}

# Fixtures outlive the objects and the processes that restarted them.
sub DESTROY { }

# Restart on the same port; the new process outlives this one.
sub restart {
    my ($self, %o) = @_;
    $self->SUPER::restart(%o);
    croak "provider fixture restarted on port $self->{port}, not the old one"
        unless (_read_ready($self->{state})->{port} // '') eq $self->{port};
    return $self;
}

# A PEM file with the fixture's private key of that kid (default: the RS256
# signing key), for minting tokens the provider would have signed.
sub private_pem {
    my ($self, $kid) = @_;
    $kid //= $self->signing_kid('RS256');
    my $file = catfile($self->{state}, "private-$kid.pem");
    return $file if -s $file;
    my $node = OT::IdP::node();
    my $js = 'const c=require("crypto"),fs=require("fs");'
           . 'const k=JSON.parse(fs.readFileSync(process.argv[1],"utf8")).keys'
           . '.find((k)=>k.kid===process.argv[2]);'
           . 'if(!k){console.error("no key "+process.argv[2]);process.exit(2)}'
           . 'process.stdout.write(c.createPrivateKey({key:k,format:"jwk"})'
           . '.export({type:"pkcs8",format:"pem"}))';
    my $keys = catfile($self->{state}, 'keys.json');
    open my $pipe, '-|', $node, '-e', $js, $keys, $kid or croak "$node: $!";
    local $/;
    my $pem = <$pipe>;
    close $pipe or croak "private key $kid from $keys: exit $?";
    open my $fh, '>', "$file.tmp" or croak "$file.tmp: $!";
    print $fh $pem;
    close $fh or croak "$file: $!";
    rename "$file.tmp", $file or croak "$file: $!";
    return $file;
}

# ------------------------------------------------------------------ checks for the .t files

# Header and payload of a compact JWS, decoded (no verification).
sub jwt_parts {
    my ($token) = @_;
    require JSON::PP;
    require MIME::Base64;
    my @seg = split /\./, $token;
    return map {
        (my $s = $_) =~ tr{-_}{+/};
        JSON::PP->new->decode(MIME::Base64::decode_base64($s . '=' x (-length($s) % 4)));
    } @seg[0, 1];
}
sub jwt_header { (jwt_parts($_[0]))[0] }
sub jwt_claims { (jwt_parts($_[0]))[1] }

our $RETRY_AFTER = 5;   # README: 503 with Retry-After: 5

# Problems with an answer that should say "the provider failed, try again
# later": 503 with Retry-After, nothing accepted, nothing blamed on the token.
sub unavailable_problems {
    my ($res) = @_;
    my @p;
    push @p, sprintf('status %d, want 503', $res->code) unless $res->code == 503;
    my $ra = $res->header('Retry-After');
    if (!defined $ra) {
        push @p, 'no Retry-After header';
    }
    elsif ($ra !~ /^\d+$/ || $ra != $RETRY_AFTER) {
        push @p, "Retry-After '$ra', want $RETRY_AFTER (README)";
    }
    my $sub = $res->header('X-Oauth-Sub');
    push @p, "OAUTH_SUB set ('$sub'): a token was accepted"
        if defined $sub && length $sub && $sub ne '(null)';
    for my $c ($res->headers->header('WWW-Authenticate')) {
        push @p, "WWW-Authenticate blames the token: $c" if $c =~ /invalid_token/;
    }
    return @p;
}

# Problems with a 401 invalid_token answer (with that error_description when given).
sub invalid_token_problems {
    my ($res, $description) = @_;
    require OT::Test;
    my @p = OT::Test::bearer_challenge_is($res, status => 401, error => 'invalid_token');
    if (defined $description && !@p) {
        my (undef, $params) = OT::Test::parse_www_authenticate(OT::Test::single_challenge($res));
        my $got = $params->{error_description};
        push @p, sprintf("error_description %s, want '%s'",
                         defined $got ? "'$got'" : 'absent', $description)
            unless defined $got && $got eq $description;
    }
    return @p;
}

# Runs $code, returns (its result, seconds it took).
sub timed {
    my ($code) = @_;
    my $t0 = time;
    my $r = $code->();
    return ($r, time - $t0);
}

# In the .t files: requests to one of the virtual hosts of extra.conf.in
# (on_vhost('ot_introspect', sub { ... })), then back to the main server.
sub on_vhost {
    my ($module, $code) = @_;
    require Apache::TestRequest;
    no warnings 'once';
    local $Apache::TestRequest::Module = $module;
    return $code->();
}

# ------------------------------------------------------------------ parallel requests

# Sends the requests ([path, token] or [path, token, hostport]) from $workers
# processes at once (each its own connections, so that several httpd children
# answer). Returns one hash per request, in order:
#   { code, www_authenticate, retry_after, seconds }
sub parallel_requests {
    my ($requests, %o) = @_;
    my $workers = $o{workers} || 10;
    require Apache::TestRequest;
    my $default_hp = Apache::TestRequest::hostport();
    my @chunks;
    push @{ $chunks[$_ % $workers] }, $_ for 0 .. $#$requests;
    my @kids;
    for my $chunk (grep { $_ } @chunks) {
        pipe my $r, my $w or croak "pipe: $!";
        my $pid = fork // croak "fork: $!";
        if (!$pid) {
            close $r;
            my $http = HTTP::Tiny->new(timeout => 30, keep_alive => 0, agent => 'ot-flood');
            for my $i (@$chunk) {
                my ($path, $token, $hp) = @{ $requests->[$i] };
                my $t0 = time;
                my $res = $http->get('http://' . ($hp // $default_hp) . $path,
                                     { headers => { Authorization => "Bearer $token" } });
                my $h = $res->{headers};
                my @f = ($i, $res->{status}, time - $t0,
                         map { my $v = $h->{$_}; ref $v ? join(' | ', @$v) : $v // '' }
                             'www-authenticate', 'retry-after');
                s/[\t\n]/ /g for @f;
                print $w join("\t", @f), "\n";
            }
            close $w;
            _exit(0);
        }
        close $w;
        push @kids, [$pid, $r];
    }
    my @out;
    for my $k (@kids) {
        my $fh = $k->[1];
        while (my $line = <$fh>) {
            chomp $line;
            my ($i, $code, $s, $wa, $ra) = split /\t/, $line, -1;
            $out[$i] = { code => $code, seconds => $s, www_authenticate => $wa, retry_after => $ra };
        }
        waitpid $k->[0], 0;
    }
    return @out;
}

# ------------------------------------------------------------------ for t/TEST.PL

sub _read_ready {
    my ($state) = @_;
    open my $fh, '<', catfile($state, 'ready') or return wantarray ? () : {};
    my %r = map { /^(\w+)=(.*)$/ ? ($1, $2) : () } <$fh>;
    return wantarray ? %r : \%r;
}

sub _proc_state {
    my ($pid) = @_;
    open my $fh, '<', "/proc/$pid/stat" or return undef;
    my $stat = <$fh> // '';
    return $stat =~ /\)\s+(\S)/ ? $1 : undef;
}

# Running (a zombie that waits for its parent to reap it is not).
sub _alive {
    my ($pid) = @_;
    return 0 unless kill 0, $pid;
    my $s = _proc_state($pid);
    return !(defined $s && $s =~ /^[ZX]$/);
}

sub _is_fixture {
    my ($pid) = @_;
    open my $fh, '<', "/proc/$pid/cmdline" or return 1;   # no /proc: trust the ready file
    local $/;
    my $cmd = <$fh> // '';
    return index($cmd, 'server.mjs') >= 0;
}

sub _terminate {
    my ($pid) = @_;
    kill 'TERM', $pid;
    my $deadline = time + 10;
    while (1) {
        my $w = waitpid($pid, WNOHANG);
        last if $w == $pid || !_alive($pid);
        if (time > $deadline) {
            kill 'KILL', $pid;
            waitpid($pid, 0) if $w == 0;
            last;
        }
        sleep 0.05;
    }
}

sub _free_port {
    my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
                                  Proto => 'tcp', Listen => 1, ReuseAddr => 1)
        or croak "cannot find a free port: $!";
    my $port = $s->sockport;
    close $s;
    return $port;
}

sub _write_file {
    my ($file, $text, $mode) = @_;
    open my $fh, '>', "$file.tmp" or croak "$file.tmp: $!";
    print $fh $text;
    close $fh or croak "$file: $!";
    chmod $mode, "$file.tmp" if defined $mode;
    rename "$file.tmp", $file or croak "$file: $!";
}

# Starts the fixture without waiting for it (several start at once).
sub _launch {
    my ($self) = @_;
    my $state = $self->{state};
    make_path($state);
    my $ready = catfile($state, 'ready');
    my $log = catfile($state, 'idp.log');
    unlink $ready;
    $self->{log_offset} = -s $log // 0;
    my @cmd = (OT::IdP::node(), $OT::IdP::SERVER, '--port', $self->{port}, '--state', $state);
    push @cmd, '--issuer', $self->{issuer} if $self->{issuer};
    push @cmd, map { ('--redirect-uri', $_) } @{ $self->{redirect_uris} || [] };
    push @cmd, map { ('--post-logout-redirect-uri', $_) } @{ $self->{post_logout_redirect_uris} || [] };
    push @cmd, '--backchannel-logout-uri', $self->{backchannel_logout_uri}
        if $self->{backchannel_logout_uri};
    my $pid = fork // croak "fork: $!";
    if (!$pid) {
        open STDIN, '<', '/dev/null';
        open STDOUT, '>>', $log or _exit(127);
        open STDERR, '>&', \*STDOUT or _exit(127);
        exec @cmd or do { print STDERR "exec $cmd[0]: $!\n"; _exit(127) };
    }
    @$self{qw(pid owner log)} = ($pid, $$, $log);
    return $self;
}

sub _await {
    my ($self) = @_;
    my $ready = catfile($self->{state}, 'ready');
    my $deadline = time + $self->{timeout};
    while (1) {
        my %r = _read_ready($self->{state});
        if ($r{pid} && $r{pid} == $self->{pid}) {
            @$self{qw(port issuer)} = @r{qw(port issuer)};
            $self->{base} = "http://127.0.0.1:$r{port}";
            last;
        }
        if (waitpid($self->{pid}, WNOHANG) == $self->{pid}) {
            delete $self->{pid};
            croak "provider fixture $self->{name} exited (status $?) before it was ready:\n"
                . $self->log_text;
        }
        if (time > $deadline) {
            $self->stop;
            croak "provider fixture $self->{name} not ready after $self->{timeout} s:\n"
                . $self->log_text;
        }
        sleep 0.05;
    }
    $self->{http} = HTTP::Tiny->new(timeout => 10, keep_alive => 0, agent => 'ot-idp-helper');
    return $self;
}

# A process that holds two loopback ports for the whole run: one listening
# socket that never accepts (connections complete in the kernel's backlog and
# are never answered: a stalled provider), and one bound socket that does not
# listen (connections are refused: a provider that is down), so that nothing
# else can take that port during the run. Returns (stall port, dead port).
sub _start_port_holder {
    my $stall = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
                                      Proto => 'tcp', Listen => 128, ReuseAddr => 1)
        or croak "stall listener: $!";
    my $dead = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0, Proto => 'tcp')
        or croak "dead port: $!";
    my @ports = ($stall->sockport, $dead->sockport);
    my $pid = fork // croak "fork: $!";
    if (!$pid) {
        open STDIN, '<', '/dev/null';
        open STDOUT, '>', '/dev/null';
        open STDERR, '>', '/dev/null';
        setsid();
        $SIG{$_} = sub { _exit(0) } for qw(TERM INT HUP);
        $0 = 'ot-stall-listener';
        sleep 3600 while 1;    # until stop_all (also from a later run)
    }
    close $stall;
    close $dead;
    _write_file(stall_pid_file(), "$pid\n");
    return @ports;
}

# Stops the fixtures (and the stall listener) that the state files name;
# also what an earlier, interrupted run left behind.
sub stop_all {
    for my $f (@FIXTURES) {
        my %r = _read_ready(state_dir($f->{name}));
        next unless $r{pid} && _alive($r{pid}) && _is_fixture($r{pid});
        _terminate($r{pid});
    }
    if (open my $fh, '<', stall_pid_file()) {
        chomp(my $pid = <$fh> // '');
        if ($pid =~ /^\d+$/ && _alive($pid)) {
            my $ok = 1;
            if (open my $c, '<', "/proc/$pid/cmdline") { local $/; $ok = (<$c> // '') =~ /ot-stall-listener/ }
            _terminate($pid) if $ok;
        }
        unlink stall_pid_file();
    }
    1 while waitpid(-1, WNOHANG) > 0;   # zombies of fixtures a .t file stopped
}

# Starts every fixture, exports their URLs into %ENV (httpd expands ${VAR} in
# its configuration from the environment) and records them for the .t files.
# When node or its packages are missing, the URLs point where nothing listens
# so that httpd still starts and the rest of the suite runs; the provider tests
# then fail with the reason.
#   start_all(rp => { redirect_uris => [...], post_logout_redirect_uris => [...],
#                     backchannel_logout_uri => URL })   for the fixtures with rp => 1
sub start_all {
    my (%opt) = @_;
    stop_all();
    make_path($STATE);
    unlink env_file();
    _write_file($INTROSPECTOR_SECRET_FILE, "$OT::IdP::CLIENTS{introspector}\n", 0644);
    my %env;
    my ($stall_port, $dead_port) = _start_port_holder();
    $env{OT_STALL_URL} = "http://127.0.0.1:$stall_port";
    $env{OT_DEAD_URL} = "http://127.0.0.1:$dead_port";

    my $why = OT::IdP::unavailable();
    if ($why) {
        for my $f (@FIXTURES) {
            $env{ $f->{env} } = 'http://127.0.0.1:' . _free_port() . ($f->{path} // '');
        }
        ($env{OT_IDP_MIXUP_URL} = $env{OT_IDP_URL}) =~ s/127\.0\.0\.1/localhost/;
        $env{OT_PROVIDER_UNAVAILABLE} = $why;
    }
    else {
        my %obj;
        my $make = sub {
            my ($f) = @_;
            my $o = bless { name => $f->{name}, state => state_dir($f->{name}),
                            port => 0, timeout => 30 }, __PACKAGE__;
            make_path($o->{state});
            if ($f->{path}) {
                $o->{port} = _free_port();
                $o->{issuer} = "http://127.0.0.1:$o->{port}$f->{path}";
                $o->{issuer_path} = $f->{path};
            }
            unlink rp_file($f->{name});
            if ($f->{rp} && $opt{rp}) {
                $o->{$_} = $opt{rp}{$_} for grep { defined $opt{rp}{$_} } _rp_keys();
                require JSON::PP;
                _write_file(rp_file($f->{name}),
                            JSON::PP->new->canonical->encode({ map { $_ => $o->{$_} } _rp_keys() }));
            }
            if ($f->{keys_from}) {
                my $from = catfile(state_dir($f->{keys_from}), 'keys.json');
                copy($from, catfile($o->{state}, 'keys.json'))
                    or croak "copy $from: $!";
                unlink glob(catfile($o->{state}, 'private-*.pem'));
            }
            return $obj{ $f->{name} } = $o->_launch;
        };
        # Fixtures that others copy keys from first (they make keys on first start).
        my %source = map { $_->{keys_from} ? ($_->{keys_from} => 1) : () } @FIXTURES;
        my @first = grep { $source{ $_->{name} } } @FIXTURES;
        my @rest  = grep { !$source{ $_->{name} } } @FIXTURES;
        my $ok = eval {
            $_->_await for map { $make->($_) } @first;
            for my $o (map { $make->($_) } @rest) {
                next if eval { $o->_await; 1 };
                # A fixed port (issuer with a path) may have been taken meanwhile: once more.
                die $@ unless $o->{issuer_path} && $@ =~ /cannot listen/;
                $o->{port} = _free_port();
                $o->{issuer} = "http://127.0.0.1:$o->{port}$o->{issuer_path}";
                $o->_launch->_await;
            }
            1;
        };
        unless ($ok) {
            my $err = $@;
            stop_all();
            $_->stop for grep { $_->{pid} } values %obj;
            die $err;
        }
        for my $f (@FIXTURES) {
            my $o = $obj{ $f->{name} };
            $env{ $f->{env} } = $o->url;
            $o->fail(@{ $f->{fail} }) if $f->{fail};
        }
        $env{OT_IDP_MIXUP_URL} = 'http://localhost:' . $obj{idp}->port;
    }
    @ENV{ keys %env } = values %env;
    # KEY='value' lines: also for a shell (set -a; . t/state/providers.env).
    tr/'\n/" / for values %env;
    _write_file(env_file(), join('', map { "$_='$env{$_}'\n" } sort keys %env));
    %ENVFILE = ();
    return \%env;
}

1;
