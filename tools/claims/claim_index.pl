#!/usr/bin/perl
# Writes the claim -> test index (docs/claim-index.md) from the conformance
# sources: for every CLAIM("id", ...) the test that declares it and the
# file:line of the declaration, so a claim id leads to its tests without a
# search. Usage: claim_index.pl REGISTRY SOURCE... > docs/claim-index.md
# (sources as paths relative to the workspace root, sorted).
use strict;
use warnings;

my ($registry, @sources) = @ARGV;
my %meaning;
my @order;
open(my $reg, '<', $registry) or die "cannot read $registry: $!\n";
while (<$reg>) {
  next if /^#/ or !/\S/;
  chomp;
  my ($id, $area, $folder, $predicted, $meaning) = split /\t/;
  $meaning{$id} = $meaning;
  push @order, $id;
}
close $reg;

my %rows;  # id -> list of "test|file|line"
for my $file (sort @sources) {
  open(my $in, '<', $file) or die "cannot read $file: $!\n";
  local $/;
  my $text = <$in>;
  close $in;
  # Test definitions and claim declarations, by offset; each CLAIM belongs
  # to the nearest TEST, TEST_F or TEST_P before it.
  my @tests;
  while ($text =~ /\bTEST(?:_F|_P)?\(\s*(\w+)\s*,\s*(\w+)\s*\)/g) {
    push @tests, [$-[0], "$1.$2"];
  }
  while ($text =~ /\bCLAIM\((.*?)\)\s*;/sg) {
    my ($args, $at) = ($1, $-[0]);
    my $line = 1 + (substr($text, 0, $at) =~ tr/\n//);
    my $test = '(outside a test)';
    for my $t (@tests) {
      last if $t->[0] > $at;
      $test = $t->[1];
    }
    while ($args =~ /"([^"]+)"/g) {
      push @{ $rows{$1} }, "$test|$file|$line";
    }
  }
}

print "# Claim → test index\n\n";
print "Generated from the sources by `tools/claims/claim_index.pl` (do not edit;\n";
print "`tools/claims/update_claim_index.sh` rewrites it, and\n";
print "`//tools/claims:registry_test` fails when it is stale). Each row is one\n";
print "`CLAIM(...)` declaration: the test that decides the claim and where.\n";
print "Parameterised tests (`TEST_P`) run once per parameter under the name shown.\n\n";
print "| claim | test | declared at |\n|---|---|---|\n";
for my $id (@order) {
  my @r = @{ $rows{$id} // [] };
  if (!@r) {
    print "| `$id` | no test yet | |\n";
    next;
  }
  for my $row (@r) {
    my ($test, $file, $line) = split /\|/, $row;
    print "| `$id` | `$test` | [$file:$line](../$file#L$line) |\n";
  }
}
