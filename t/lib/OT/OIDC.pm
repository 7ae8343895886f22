package OT::OIDC;
# Helpers for the AuthType OIDC tests (issue 4).
#
#   t/TEST.PL:   OT::Provider::start_all(rp => OT::OIDC::rp_uris($port));
#   a .t file:   my $b = OT::OIDC::Browser->new(base => 'http://localhost:PORT');
#                my $l = $b->login($idp, '/app/api/orders.json?x=1');   # alice, through the provider
#                my $res = $b->page('/app/api/orders.json');            # Accept: text/html, cookies
#                my $res = $b->xhr('/app/api/orders.json');             # X-Requested-With, JSON
#
# A Browser is one cookie jar on one host (every cookie the module sets has
# Path=/ and no Domain) plus a jar at the provider, and never follows a
# redirect: each step's answer is there to be checked. Core Perl and
# libwww-perl only.
use strict;
use warnings;

use Carp qw(croak);
use Digest::SHA qw(sha256);
use IO::Socket::INET ();
use MIME::Base64 qw(encode_base64);
use URI ();

# The paths of the ot_oidc virtual host (t/conf/extra.conf.in) and of the
# throw-away hosts of t/oidc_two_hosts.t.
our $CALLBACK    = '/oidc/callback';
our $LOGOUT      = '/oidc/logout';
our $BACKCHANNEL = '/oidc/backchannel';
# post_logout_redirect_uris registered at the provider, per host
our @POST_LOGOUT_PATHS = ('/', '/index.html');

our $PAGE_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';

# The relying-party URIs of the hosts on $port (localhost and 127.0.0.1),
# for OT::Provider::start_all(rp => ...) or OT::IdP->start(%{ rp_uris(...) }).
sub rp_uris {
    my ($port, %o) = @_;
    my @ports = ref $port ? @$port : ($port);
    my @hosts = map { my $p = $_; map { "$_:$p" } @{ $o{names} || ['localhost', '127.0.0.1'] } } @ports;
    return {
        redirect_uris => [ map { "http://$_$CALLBACK" } @hosts ],
        post_logout_redirect_uris => [ map { my $h = $_; map { "http://$h$_" } @POST_LOGOUT_PATHS } @hosts ],
        backchannel_logout_uri => "http://127.0.0.1:$ports[0]$BACKCHANNEL",
    };
}

# The query of a URL as a hash (first value of each name) and the URL
# without its query: (base, {params}, [names in order]).
sub split_url {
    my ($url) = @_;
    my $u = URI->new($url);
    my @kv = $u->query_form;
    my (%p, @names);
    while (my ($k, $v) = splice @kv, 0, 2) {
        push @names, $k;
        $p{$k} //= $v;
    }
    my $base = $u->clone;
    $base->query(undef);
    return ("$base", \%p, \@names);
}

sub b64url {
    my ($bytes) = @_;
    (my $s = encode_base64($bytes, '')) =~ tr{+/}{-_};
    $s =~ s/=+$//;
    return $s;
}

# The binding cookie's name for a state: oauth_login_ + 16 characters of
# base64url(SHA-256(state)).
sub binding_cookie_name {
    my ($state, $prefix) = @_;
    return ($prefix // 'oauth_login_') . substr(b64url(sha256($state)), 0, 16);
}

# PKCE S256 of a verifier.
sub s256 { b64url(sha256($_[0])) }

# Set-Cookie lines of a response, parsed: [{ name, value, attrs => {lc name => value|1}, raw }]
sub set_cookies {
    my ($res) = @_;
    my @out;
    for my $line ($res->headers->header('Set-Cookie')) {
        my ($pair, @attrs) = split /;\s*/, $line;
        my ($name, $value) = $pair =~ /^\s*([^=]+)=(.*)$/ or next;
        my %a;
        for (@attrs) {
            my ($k, $v) = split /=/, $_, 2;
            $a{ lc $k } = defined $v ? $v : 1;
        }
        push @out, { name => $name, value => $value, attrs => \%a, raw => $line };
    }
    return @out;
}

sub set_cookie_named {
    my ($res, $name) = @_;
    my @c = grep { $_->{name} eq $name } set_cookies($res);
    return wantarray ? @c : $c[-1];
}

# ------------------------------------------------------------------ one browser

package OT::OIDC::Browser;

use Carp qw(croak);
use HTTP::Request ();
use HTTP::Response ();
use LWP::UserAgent ();

sub new {
    my ($class, %o) = @_;
    croak 'base => http://host:port is required' unless $o{base};
    (my $base = $o{base}) =~ s{/+$}{};
    my $self = bless {
        base    => $base,
        jar     => {},
        idp_jar => {},
        ua      => LWP::UserAgent->new(max_redirect => 0, timeout => $o{timeout} || 30,
                                       agent => $o{agent} || 'ot-oidc-test', keep_alive => 0),
        history => [],
    }, $class;
    $self->{ua}->requests_redirectable([]);
    return $self;
}

sub base { $_[0]{base} }
sub url  { my ($self, $path) = @_; $path =~ m{^https?://} ? $path : $self->{base} . $path }
sub hostport { my ($hp) = $_[0]{base} =~ m{^https?://([^/]+)}; $hp }

sub cookies       { +{ %{ $_[0]{jar} } } }
sub cookie        { $_[0]{jar}{ $_[1] } }
sub set_cookie    { my ($s, $n, $v) = @_; $s->{jar}{$n} = $v; $s }
sub delete_cookie { delete $_[0]{jar}{ $_[1] }; $_[0] }
sub clear_cookies { $_[0]{jar} = {}; $_[0] }
sub idp_jar       { $_[0]{idp_jar} }
sub session       { $_[0]{jar}{ $_[1] // 'oauth_session' } }

sub cookie_header {
    my ($self) = @_;
    my $jar = $self->{jar};
    return join '; ', map { "$_=$jar->{$_}" } sort keys %$jar;
}

# Keeps what the answer sets: Max-Age=0 (or an expiry in the past) deletes.
sub keep {
    my ($self, $res) = @_;
    for my $c (OT::OIDC::set_cookies($res)) {
        my $gone = (defined $c->{attrs}{'max-age'} && $c->{attrs}{'max-age'} <= 0)
                || ($c->{attrs}{expires} && $c->{attrs}{expires} =~ /1970/);
        if ($gone) { delete $self->{jar}{ $c->{name} } }
        else       { $self->{jar}{ $c->{name} } = $c->{value} }
    }
    return $res;
}

# request(METHOD, PATH|URL, headers => [...], content => ..., cookies => 0 (send none),
#         cookie => 'raw Cookie header instead of the jar', keep => 0 (do not store))
sub request {
    my ($self, $method, $path, %o) = @_;
    my $req = HTTP::Request->new($method => $self->url($path));
    my @h = @{ $o{headers} || [] };
    while (my ($k, $v) = splice @h, 0, 2) { $req->header($k => $v) }
    if (defined $o{cookie}) {
        $req->header(Cookie => $o{cookie}) if length $o{cookie};
    }
    elsif (!exists $o{cookies} || $o{cookies}) {
        my $c = $self->cookie_header;
        $req->header(Cookie => $c) if length $c;
    }
    if (defined $o{content}) {
        $req->content($o{content});
        $req->header('Content-Length' => length $o{content});
    }
    my $res = $self->{ua}->request($req);
    $self->keep($res) unless exists $o{keep} && !$o{keep};
    push @{ $self->{history} }, $res;
    return $res;
}

# A top-level page load as a browser makes it.
sub page {
    my ($self, $path, %o) = @_;
    return $self->request(GET => $path, %o,
        headers => [Accept => $OT::OIDC::PAGE_ACCEPT, @{ $o{headers} || [] }]);
}

# A script's request (fetch/XMLHttpRequest).
sub xhr {
    my ($self, $path, %o) = @_;
    return $self->request($o{method} || 'GET', $path, %o,
        headers => [Accept => 'application/json', 'X-Requested-With' => 'XMLHttpRequest',
                    'Sec-Fetch-Mode' => 'cors', @{ $o{headers} || [] }]);
}

# Sends $head (request line and headers, without the final empty line)
# verbatim, with the jar's cookies; returns an HTTP::Response.
sub raw {
    my ($self, $head, %o) = @_;
    my $hp = $self->hostport;
    my $sock = IO::Socket::INET->new(PeerAddr => $hp, Timeout => 30) or croak "connect $hp: $!";
    $head =~ s/\r?\n/\r\n/g;
    $head .= "\r\n" unless $head =~ /\r\n$/;
    $head .= "Host: $hp\r\n" unless $head =~ /^Host:/mi;
    my $c = $self->cookie_header;
    $head .= "Cookie: $c\r\n" if length $c && $head !~ /^Cookie:/mi && !(exists $o{cookies} && !$o{cookies});
    $head .= "Connection: close\r\n";
    print $sock $head, "\r\n";
    local $/;
    my $answer = <$sock>;
    close $sock;
    my $res = HTTP::Response->parse($answer // '');
    $self->keep($res);
    return $res;
}

# The start of a login: a page load of $path that the module answers with a
# redirect to the provider. Returns { res, location, endpoint, params, names,
# state, binding => [name, value] } (location undef when it did not redirect).
sub login_start {
    my ($self, $path, %o) = @_;
    my $res = $o{raw} ? $self->raw($o{raw}) : $self->page($path, %o);
    my %r = (res => $res);
    if ($res->code == 302 && defined(my $loc = $res->header('Location'))) {
        $r{location} = $loc;
        @r{qw(endpoint params names)} = OT::OIDC::split_url($loc);
        $r{state} = $r{params}{state};
        if (defined $r{state}) {
            my $name = OT::OIDC::binding_cookie_name($r{state});
            my ($c) = grep { $_->{name} eq $name } OT::OIDC::set_cookies($res);
            $r{binding} = [$name, $c && $c->{value}];
            $r{binding_cookie} = $c;
        }
    }
    return \%r;
}

# At the provider: signs in (or reuses this browser's provider session) and
# returns the URL the provider sends the browser to (the callback).
sub at_provider {
    my ($self, $idp, $url, %o) = @_;
    return $idp->authorize($url, login => $o{login} // 'alice', jar => $self->{idp_jar},
                           ($o{stay} ? (stay => 1) : ()));
}

# The whole login: start at $path, sign in as login => 'alice', come back to
# the callback. Returns the login_start hash plus callback_url, callback (the
# answer), session (the new session cookie's value) and landing (Location).
# Dies (with what happened) when a step does not go as a login should.
sub login {
    my ($self, $idp, $path, %o) = @_;
    my $start = $self->login_start($path, $o{raw} ? (raw => $o{raw}) : ());
    croak sprintf("login: %s answered %s, not a redirect to the provider:\n%s",
                  $path, $start->{res}->status_line, $start->{res}->as_string)
        unless $start->{location};
    my $cb = $self->at_provider($idp, $start->{location}, %o);
    $start->{callback_url} = $cb;
    my $res = $self->page($cb);
    $start->{callback} = $res;
    $start->{session} = $self->{jar}{ $o{cookie_name} // 'oauth_session' };
    $start->{landing} = $res->header('Location');
    croak sprintf("login: the callback answered %s:\n%s", $res->status_line, $res->as_string)
        unless $res->code == 302 && $start->{session};
    return $start;
}

1;
