# SPDX-License-Identifier: MIT
# fish completion for pcopy(1): every option, the values of the options that
# take keywords (comma lists for --preserve), directories after -t, files
# elsewhere.

set -l attrs 'mode ownership timestamps links xattr all'

complete -c pcopy -s a -l archive -d 'Same as -P --preserve=all'
complete -c pcopy -s p -d 'Same as --preserve=mode,ownership,timestamps'
complete -c pcopy -s d -d 'Same as --no-dereference --preserve=links'
complete -c pcopy -s f -l force -d 'Remove and retry destination files that cannot be opened'
# Optional values (--preserve, --reflink, --progress, --summary) are given
# only as --option=VALUE; fish offers them after the "=".
complete -c pcopy -l preserve -f -a "(__fish_complete_list , 'string split \" \" $attrs')" \
	-d 'Preserve the listed attributes'
complete -c pcopy -l no-preserve -x -a "(__fish_complete_list , 'string split \" \" $attrs')" \
	-d 'Do not preserve the listed attributes'
complete -c pcopy -s P -l no-dereference -d 'Copy symbolic links as links'
complete -c pcopy -s L -l dereference -d 'Follow every symbolic link'
complete -c pcopy -s H -d 'Follow symbolic links named on the command line'
complete -c pcopy -s n -l no-clobber -d 'Never overwrite an existing file'
complete -c pcopy -s u -l update -d 'Copy only newer or missing files'
complete -c pcopy -s x -l one-file-system -d 'Stay on the file systems of the sources'
complete -c pcopy -s t -l target-directory -x -a '(__fish_complete_directories)' \
	-d 'Copy every source into DIR'
complete -c pcopy -s T -l no-target-directory -d 'Treat DEST as a normal file'
complete -c pcopy -s r -s R -l recursive -d 'Accepted and ignored (always recursive)'
complete -c pcopy -l reflink -f -a 'auto always never' -d 'Clone extents where possible'
complete -c pcopy -l sparse -x -a 'auto always never' -d 'Keep holes'
complete -c pcopy -l exclude -x -d 'Skip paths matching a glob'
complete -c pcopy -s v -l verbose -d 'Name each entry copied'
complete -c pcopy -s q -l quiet -d 'Print nothing but errors'
complete -c pcopy -l dry-run -d 'Print what would be copied, write nothing'
complete -c pcopy -l verify -d 'Compare each copy with its source'
complete -c pcopy -l fsync -d 'Make everything durable before success'
complete -c pcopy -l delete -d 'Remove destination entries the source does not have'
complete -c pcopy -l delete-excluded -d 'Delete, and remove excluded names too'
complete -c pcopy -l link-dest -x -a '(__fish_complete_directories)' \
	-d 'Hard-link unchanged files from DIR'
complete -c pcopy -s c -l checksum -d 'Compare contents, not times'
complete -c pcopy -l size-only -d 'Compare sizes only'
complete -c pcopy -l modify-window -x -d 'Mtimes within N seconds are equal (0-86400)'
complete -c pcopy -l include -x -d 'Keep paths matching a glob (first match wins)'
complete -c pcopy -l include-from -r -F -d 'Read include patterns from FILE'
complete -c pcopy -l exclude-from -r -F -d 'Read exclude patterns from FILE'
complete -c pcopy -l files-from -r -F -d 'Copy only the paths listed in FILE'
complete -c pcopy -s 0 -l from0 -d 'The *-from files are NUL-separated'
complete -c pcopy -l itemize-changes -d 'Print rsync-style change lines'
complete -c pcopy -l itemize -d 'Print rsync-style change lines'
complete -c pcopy -l bwlimit -x -d 'Bytes per second for all workers (bare number: KiB)'
complete -c pcopy -s B -l backend -x -a 'auto thread process uring mpi' -d 'Execution backend'
complete -c pcopy -s j -l jobs -x -d 'Number of workers (1-1024)'
complete -c pcopy -l queue-depth -x -d 'io_uring operations in flight (1-4096)'
complete -c pcopy -l chunk-size -x -d 'Split files larger than SIZE (64K-1T)'
complete -c pcopy -l progress -f -a 'bar plain json none' -d 'Progress display'
complete -c pcopy -l summary -f -a 'text json' -d 'Print a final summary'
complete -c pcopy -s '?' -l help -d 'Show the help and exit'
complete -c pcopy -l usage -d 'Show a short usage message and exit'
complete -c pcopy -s V -l version -d 'Show the version and exit'
