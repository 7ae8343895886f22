# Every APLOGNO in the httpd glue is unique and inside the module's block 99000-99999.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Apache::Test qw(-withtestmore);
use File::Spec::Functions qw(catfile);
use OT::Test;

my $top = top_dir();
my @files = grep { -f } (catfile($top, 'mod_oauth_token.c'),
                         sort glob(catfile($top, 'src', 'httpd', '*.c')));

my (%where, @out_of_range);
for my $file (@files) {
    open my $fh, '<', $file or die "$file: $!";
    while (my $line = <$fh>) {
        while ($line =~ /APLOGNO\(\s*(\d+)\s*\)/g) {
            my $n = $1;
            my $at = sprintf '%s:%d', substr($file, length($top) + 1), $.;
            push @{ $where{$n} }, $at;
            push @out_of_range, "$n at $at" unless $n =~ /^\d{5}$/ && $n >= 99000 && $n <= 99999;
        }
    }
}
my @dups = map { "$_ at " . join(', ', @{ $where{$_} }) } grep { @{ $where{$_} } > 1 } sort keys %where;
my $count = 0;
$count += @$_ for values %where;

plan tests => 4;

ok(scalar(@files) >= 2, 'mod_oauth_token.c and src/httpd/*.c found (' . scalar(@files) . ' files)');
ok($count > 0, "APLOGNO tags found ($count)");
ok(!@out_of_range, 'all within 99000-99999') or diag(join "\n", map { "  $_" } @out_of_range);
ok(!@dups, 'no number used twice') or diag(join "\n", map { "  $_" } @dups);
