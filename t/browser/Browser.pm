package OT::Browser;
# Run a browser script (t/browser/run.mjs: Debian's chromium through playwright-core, headless,
# loopback only) from Perl tests and get its JSON report back.
#
#   BEGIN { require "$FindBin::Bin/browser/Browser.pm" }     # from a t/*.t file
#   BAIL_OUT($why) if my $why = OT::Browser::unavailable();  # a failure, never a skip
#   my $r = OT::Browser::run_script([
#       { goto  => "$app/private/page" },                      # -> the provider's login page
#       { login => { username => 'alice', password => 'alice-password' } },
#       { cookies => JSON::PP::true },
#   ]);
#   ok($r->{ok}); is($r->{steps}[1]{url}, "$app/private/page");
#   my $c = OT::Browser::cookie($r->{steps}[2], 'oauth_session');
#
# run_script(\@steps, %opt) or run_script({ steps => [...], timeout_ms => N, step_timeout_ms => N })
# returns the decoded report ({ok, steps, total_ms, browser, blocked, error}; see README.md) also
# when a step failed (ok false): tests look at it. It dies, with run.mjs's stderr, when the runner
# could not start, did not answer JSON, or chromium failed to launch.
#
# Core Perl only (JSON::PP, File::Temp, POSIX, Time::HiRes). Node comes from $ENV{NODE} (as for
# OT::IdP), chromium from $ENV{OT_CHROMIUM} (default /usr/bin/chromium).
use strict;
use warnings;

use Carp qw(croak);
use Cwd qw(abs_path);
use File::Basename qw(dirname);
use File::Temp qw(tempfile);
use JSON::PP ();
use POSIX qw(WNOHANG _exit setpgid);
use Time::HiRes qw(sleep time);

our $DIR    = dirname(abs_path(__FILE__));
our $RUNNER = "$DIR/run.mjs";
our $ROOT   = abs_path("$DIR/../..");

my $json = JSON::PP->new->canonical->utf8;

sub node     { $ENV{NODE} || 'node' }
sub chromium { $ENV{OT_CHROMIUM} || '/usr/bin/chromium' }

# undef when browser tests can run here, else why not (for the failure message).
sub unavailable {
    my $node = node();
    chomp(my $v = `$node --version 2>/dev/null` // '');
    return "no node ($node)" unless $v =~ /^v(\d+)\.(\d+)/;
    return "node $v is too old for playwright-core (needs >= 20)" if $1 < 20;
    return "node_modules/playwright-core missing (run npm ci in $ROOT)"
        unless -f "$ROOT/node_modules/playwright-core/package.json";
    my $chromium = chromium();
    return "no chromium at $chromium (apt-get install chromium; scripts/install-deps does)"
        unless -x $chromium;
    return undef;
}

# run_script(\@steps, timeout_ms => N, step_timeout_ms => N, keep => 1)
sub run_script {
    my ($steps, %o) = @_;
    my $script = ref $steps eq 'HASH' ? { %$steps } : { steps => $steps };
    croak 'run_script: steps must be an array' unless ref $script->{steps} eq 'ARRAY';
    for my $k (qw(timeout_ms step_timeout_ms ignore_https_errors)) {
        $script->{$k} = $o{$k} if exists $o{$k};
    }
    my $limit = ($script->{timeout_ms} || 60000) / 1000 + 30;   # run.mjs stops itself well before

    my ($sfh, $sfile) = tempfile('ot-browser-XXXXXX', SUFFIX => '.json', TMPDIR => 1, UNLINK => !$o{keep});
    print $sfh $json->encode($script);
    close $sfh;
    my ($ofh, $ofile) = tempfile('ot-browser-XXXXXX', SUFFIX => '.out', TMPDIR => 1, UNLINK => 1);
    my ($efh, $efile) = tempfile('ot-browser-XXXXXX', SUFFIX => '.err', TMPDIR => 1, UNLINK => 1);

    my $pid = fork;
    croak "fork: $!" unless defined $pid;
    if (!$pid) {
        setpgid(0, 0);      # its own process group: a hung run is killed with chromium and all
        open STDIN, '<', '/dev/null';
        open STDOUT, '>&', $ofh or _exit(127);
        open STDERR, '>&', $efh or _exit(127);
        exec node(), $RUNNER, $sfile or do { print STDERR "exec ${\ node()}: $!\n"; _exit(127) };
    }
    my $deadline = time + $limit;
    my $killed;
    while (waitpid($pid, WNOHANG) != $pid) {
        if (time > $deadline) {
            kill 'KILL', -$pid;
            waitpid($pid, 0);
            $killed = 1;
            last;
        }
        sleep 0.02;
    }
    my $exit = $? >> 8;
    my $stdout = _slurp($ofile);
    my $stderr = _slurp($efile);
    croak "t/browser/run.mjs did not finish within $limit s (killed)\nstderr:\n$stderr" if $killed;
    my $r = eval { $json->decode($stdout) };
    croak "t/browser/run.mjs (exit $exit) printed no JSON report: $@\nstdout:\n$stdout\nstderr:\n$stderr"
        unless ref $r eq 'HASH';
    croak "t/browser/run.mjs: $r->{error}\nstderr:\n$stderr"
        if !$r->{browser} && ($r->{error} // '') =~ /^(launch failed|bad script|internal error)/;
    $r->{exit}   = $exit;
    $r->{stderr} = $stderr;
    return $r;
}

sub _slurp {
    my ($f) = @_;
    open my $fh, '<:raw', $f or return '';
    local $/;
    return <$fh> // '';
}

# The query parameters of a URL as a hash (last value wins), decoded.
sub query {
    my ($url) = @_;
    my ($q) = ($url // '') =~ /\?([^#]*)/ or return {};
    my %p;
    for (split /&/, $q) {
        my ($k, $v) = map { my $s = $_ // ''; $s =~ tr/+/ /; $s =~ s/%([0-9A-Fa-f]{2})/chr hex $1/ge; $s }
            split /=/, $_, 2;
        $p{$k} = $v;
    }
    return \%p;
}

# The cookie named NAME in a "cookies" step's answer (a hash: name value domain path httpOnly
# secure sameSite expires), or undef.
sub cookie {
    my ($step, $name) = @_;
    for my $c (@{ $step->{cookies} || [] }) { return $c if $c->{name} eq $name }
    return undef;
}

# The first failed step of a report, for test diagnostics: "step N (goto ...): error".
sub failure {
    my ($r) = @_;
    my $i = 0;
    for my $s (@{ $r->{steps} || [] }) {
        return sprintf('step %d (%s): %s', $i, $json->encode($s->{step}), $s->{error})
            if defined $s->{error} && !$s->{allowed_error};
        $i++;
    }
    return $r->{error};
}

1;
