function __lh-pack_should_offer_completions_for_flags_or_options -a expected_commands
    set -l non_repeating_flags_or_options $argv[2..]
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __lh-pack_parse_tokens
    test "$commands" = "$expected_commands"; and return $non_repeating_flags_or_options_absent
end

function __lh-pack_should_offer_completions_for_positional -a expected_commands positional_index_comparison expected_positional_index
    set -l non_repeating_flags_or_options
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __lh-pack_parse_tokens
    test "$commands" = "$expected_commands" -a \( "$positional_index" "$positional_index_comparison" "$expected_positional_index" \)
end

function __lh-pack_parse_tokens -S
    set -l unparsed_tokens (__lh-pack_tokens -pc)
    switch $unparsed_tokens[1]
    case 'lh-pack'
        __lh-pack_parse_subcommand 0 'q/quiet' 'v/verbose' 'version' 'h/help'
        switch $unparsed_tokens[1]
        case 'archive'
            __lh-pack_parse_subcommand 0 'lake=' 'o/output=' 'table=+' 'before=' 'as-of=+' 'remove' 'zstd-level=' 'wait=' 'no-wait' 'q/quiet' 'v/verbose' 'version' 'h/help'
        case 'restore'
            __lh-pack_parse_subcommand 1 'C/directory=' 'replace' 'wait=' 'no-wait' 'q/quiet' 'v/verbose' 'version' 'h/help'
        case 'list'
            __lh-pack_parse_subcommand 1 'q/quiet' 'v/verbose' 'version' 'h/help'
        case 'verify'
            __lh-pack_parse_subcommand 1 'q/quiet' 'v/verbose' 'version' 'h/help'
        case 'compact'
            __lh-pack_parse_subcommand 0 'lake=' 'table=+' 'target-size=' 'dry-run' 'wait=' 'no-wait' 'q/quiet' 'v/verbose' 'version' 'h/help'
        case 'vacuum'
            __lh-pack_parse_subcommand 0 'lake=' 'table=+' 'retain=' 'apply' 'wait=' 'no-wait' 'q/quiet' 'v/verbose' 'version' 'h/help'
        case 'help'
            __lh-pack_parse_subcommand -r 1 'version'
        end
    end
end

function __lh-pack_tokens
    if test (string split -m 1 -f 1 -- . "$FISH_VERSION") -gt 3
        commandline --tokens-raw $argv
    else
        commandline -o $argv
    end
end

function __lh-pack_parse_subcommand -S -a positional_count
    argparse -s r -- $argv
    set -l option_specs $argv[2..]
    set -l is_repeating_positional $_flag_r
    set -el _flag_r
    set -a commands $unparsed_tokens[1]
    set positional_index 0
    while true
        set -e unparsed_tokens[1]
        argparse -sn "$commands" $option_specs -- $unparsed_tokens 2> /dev/null
        set unparsed_tokens $argv
        set positional_index (math $positional_index + 1)
        for non_repeating_flag_or_option in $non_repeating_flags_or_options
            if set -ql "_flag_$(string replace -a - _ -- $non_repeating_flag_or_option)"
                set non_repeating_flags_or_options_absent 1
                break
            end
        end
        test (count $unparsed_tokens) -eq 0 -o \( -z "$is_repeating_positional" -a "$positional_index" -gt "$positional_count" \) && break
    end
end

function __lh-pack_complete_directories
    set -l token (commandline -t)
    string match -- '*/' $token
    set -l subdirs $token*/
    printf %s\n $subdirs
end

function __lh-pack_custom_completion
    set -x SAP_SHELL fish
    set -x SAP_SHELL_VERSION $FISH_VERSION
    set -l tokens (__lh-pack_tokens -p)
    if test -z "$(__lh-pack_tokens -t)"
        set -l index (count (__lh-pack_tokens -pc))
        set tokens $tokens[..$index] \'\' $tokens[(math $index + 1)..]
    end
    command $tokens[1] $argv $tokens
end

complete -c 'lh-pack' -f
complete -c 'lh-pack' -n '__lh-pack_should_offer_completions_for_flags_or_options "lh-pack" q quiet' -l 'quiet' -s 'q' -d 'Print nothing on stderr but errors (no summary, no progress).'
complete -c 'lh-pack' -n '__lh-pack_should_offer_completions_for_flags_or_options "lh-pack" v verbose' -l 'verbose' -s 'v' -d 'Print more detail on stderr (resolved settings, timings).'
complete -c 'lh-pack' -n '__lh-pack_should_offer_completions_for_flags_or_options "lh-pack" version' -l 'version' -d 'Show the version.'
complete -c 'lh-pack' -n '__lh-pack_should_offer_completions_for_flags_or_options "lh-pack" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'lh-pack' -n '__lh-pack_should_offer_completions_for_positional "lh-pack" -eq 1' -fa 'archive' -d 'Archive tables, or their partitions older than a date, to a .tar.zst.'
complete -c 'lh-pack' -n '__lh-pack_should_offer_completions_for_positional "lh-pack" -eq 1' -fa 'restore' -d 'Restore an archive into a new lake, or merge it into a lake.'
complete -c 'lh-pack' -n '__lh-pack_should_offer_completions_for_positional "lh-pack" -eq 1' -fa 'list' -d 'List an archive\'s files as \'SHA-256  path\' lines (sha256sum\'s format).'
complete -c 'lh-pack' -n '__lh-pack_should_offer_completions_for_positional "lh-pack" -eq 1' -fa 'verify' -d 'Check every file of an archive against its manifest, and every byte.'
complete -c 'lh-pack' -n '__lh-pack_should_offer_completions_for_positional "lh-pack" -eq 1' -fa 'compact' -d 'Rewrite the small files of each partition into large ones.'
complete -c 'lh-pack' -n '__lh-pack_should_offer_completions_for_positional "lh-pack" -eq 1' -fa 'vacuum' -d 'Delete files and log entries no version within the retention needs (dry run by default).'
complete -c 'lh-pack' -n '__lh-pack_should_offer_completions_for_positional "lh-pack" -eq 1' -fa 'help' -d 'Show subcommand help information.'
complete -c 'lh-pack' -n '__lh-pack_should_offer_completions_for_flags_or_options "lh-pack archive" lake' -l 'lake' -d 'The lake directory (default: $LH_LAKE, else ./lake).' -rfa '(__lh-pack_complete_directories)'
complete -c 'lh-pack' -n '__lh-pack_should_offer_completions_for_flags_or_options "lh-pack archive" o output' -l 'output' -s 'o' -d 'The archive to write.' -rfa '(for p in (string match -e -- \'*/\' (commandline -t);or printf \n)*.\'zst\';printf %s\n $p;end;__fish_complete_directories (commandline -t) \'\')'
complete -c 'lh-pack' -n '__lh-pack_should_offer_completions_for_flags_or_options "lh-pack archive"' -l 'table' -d 'A table, as its path in the lake (repeatable; default: every table).' -rfka ''
complete -c 'lh-pack' -n '__lh-pack_should_offer_completions_for_flags_or_options "lh-pack archive" before' -l 'before' -d 'Archive partitions before this date only.' -rfka ''
complete -c 'lh-pack' -n '__lh-pack_should_offer_completions_for_flags_or_options "lh-pack archive"' -l 'as-of' -d 'Archive as of this version or time (RFC 3339 or YYYY-MM-DD): a bare value for every table, TABLE=VALUE for one (repeatable; default: latest).' -rfka ''
complete -c 'lh-pack' -n '__lh-pack_should_offer_completions_for_flags_or_options "lh-pack archive" remove' -l 'remove' -d 'Remove the archived partitions from the lake once the archive is verified.'
complete -c 'lh-pack' -n '__lh-pack_should_offer_completions_for_flags_or_options "lh-pack archive" zstd-level' -l 'zstd-level' -d 'zstd compression level of the archive (1 to 19).' -rfka ''
complete -c 'lh-pack' -n '__lh-pack_should_offer_completions_for_flags_or_options "lh-pack archive" wait' -l 'wait' -d 'Wait up to DURATION for a table another lh run is writing, then carry on (default 10m; then status 75).' -rfka ''
complete -c 'lh-pack' -n '__lh-pack_should_offer_completions_for_flags_or_options "lh-pack archive" no-wait' -l 'no-wait' -d 'Exit 75 at once when another lh run is writing a table this run writes.'
complete -c 'lh-pack' -n '__lh-pack_should_offer_completions_for_flags_or_options "lh-pack archive" q quiet' -l 'quiet' -s 'q' -d 'Print nothing on stderr but errors (no summary, no progress).'
complete -c 'lh-pack' -n '__lh-pack_should_offer_completions_for_flags_or_options "lh-pack archive" v verbose' -l 'verbose' -s 'v' -d 'Print more detail on stderr (resolved settings, timings).'
complete -c 'lh-pack' -n '__lh-pack_should_offer_completions_for_flags_or_options "lh-pack archive" version' -l 'version' -d 'Show the version.'
complete -c 'lh-pack' -n '__lh-pack_should_offer_completions_for_flags_or_options "lh-pack archive" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'lh-pack' -n '__lh-pack_should_offer_completions_for_positional "lh-pack restore" -eq 1' -F
complete -c 'lh-pack' -n '__lh-pack_should_offer_completions_for_flags_or_options "lh-pack restore" C directory' -s 'C' -l 'directory' -d 'The lake to restore into.' -rfa '(__lh-pack_complete_directories)'
complete -c 'lh-pack' -n '__lh-pack_should_offer_completions_for_flags_or_options "lh-pack restore" replace' -l 'replace' -d 'Replace partitions the lake already holds with the archived ones.'
complete -c 'lh-pack' -n '__lh-pack_should_offer_completions_for_flags_or_options "lh-pack restore" wait' -l 'wait' -d 'Wait up to DURATION for a table another lh run is writing, then carry on (default 10m; then status 75).' -rfka ''
complete -c 'lh-pack' -n '__lh-pack_should_offer_completions_for_flags_or_options "lh-pack restore" no-wait' -l 'no-wait' -d 'Exit 75 at once when another lh run is writing a table this run writes.'
complete -c 'lh-pack' -n '__lh-pack_should_offer_completions_for_flags_or_options "lh-pack restore" q quiet' -l 'quiet' -s 'q' -d 'Print nothing on stderr but errors (no summary, no progress).'
complete -c 'lh-pack' -n '__lh-pack_should_offer_completions_for_flags_or_options "lh-pack restore" v verbose' -l 'verbose' -s 'v' -d 'Print more detail on stderr (resolved settings, timings).'
complete -c 'lh-pack' -n '__lh-pack_should_offer_completions_for_flags_or_options "lh-pack restore" version' -l 'version' -d 'Show the version.'
complete -c 'lh-pack' -n '__lh-pack_should_offer_completions_for_flags_or_options "lh-pack restore" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'lh-pack' -n '__lh-pack_should_offer_completions_for_positional "lh-pack list" -eq 1' -F
complete -c 'lh-pack' -n '__lh-pack_should_offer_completions_for_flags_or_options "lh-pack list" q quiet' -l 'quiet' -s 'q' -d 'Print nothing on stderr but errors (no summary, no progress).'
complete -c 'lh-pack' -n '__lh-pack_should_offer_completions_for_flags_or_options "lh-pack list" v verbose' -l 'verbose' -s 'v' -d 'Print more detail on stderr (resolved settings, timings).'
complete -c 'lh-pack' -n '__lh-pack_should_offer_completions_for_flags_or_options "lh-pack list" version' -l 'version' -d 'Show the version.'
complete -c 'lh-pack' -n '__lh-pack_should_offer_completions_for_flags_or_options "lh-pack list" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'lh-pack' -n '__lh-pack_should_offer_completions_for_positional "lh-pack verify" -eq 1' -F
complete -c 'lh-pack' -n '__lh-pack_should_offer_completions_for_flags_or_options "lh-pack verify" q quiet' -l 'quiet' -s 'q' -d 'Print nothing on stderr but errors (no summary, no progress).'
complete -c 'lh-pack' -n '__lh-pack_should_offer_completions_for_flags_or_options "lh-pack verify" v verbose' -l 'verbose' -s 'v' -d 'Print more detail on stderr (resolved settings, timings).'
complete -c 'lh-pack' -n '__lh-pack_should_offer_completions_for_flags_or_options "lh-pack verify" version' -l 'version' -d 'Show the version.'
complete -c 'lh-pack' -n '__lh-pack_should_offer_completions_for_flags_or_options "lh-pack verify" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'lh-pack' -n '__lh-pack_should_offer_completions_for_flags_or_options "lh-pack compact" lake' -l 'lake' -d 'The lake directory (default: $LH_LAKE, else ./lake).' -rfa '(__lh-pack_complete_directories)'
complete -c 'lh-pack' -n '__lh-pack_should_offer_completions_for_flags_or_options "lh-pack compact"' -l 'table' -d 'A table, as its path in the lake (repeatable; default: every table).' -rfka ''
complete -c 'lh-pack' -n '__lh-pack_should_offer_completions_for_flags_or_options "lh-pack compact" target-size' -l 'target-size' -d 'Size of the files to make. (default: 128MiB)' -rfka ''
complete -c 'lh-pack' -n '__lh-pack_should_offer_completions_for_flags_or_options "lh-pack compact" dry-run' -l 'dry-run' -d 'Say what would be rewritten; write nothing.'
complete -c 'lh-pack' -n '__lh-pack_should_offer_completions_for_flags_or_options "lh-pack compact" wait' -l 'wait' -d 'Wait up to DURATION for a table another lh run is writing, then carry on (default 10m; then status 75).' -rfka ''
complete -c 'lh-pack' -n '__lh-pack_should_offer_completions_for_flags_or_options "lh-pack compact" no-wait' -l 'no-wait' -d 'Exit 75 at once when another lh run is writing a table this run writes.'
complete -c 'lh-pack' -n '__lh-pack_should_offer_completions_for_flags_or_options "lh-pack compact" q quiet' -l 'quiet' -s 'q' -d 'Print nothing on stderr but errors (no summary, no progress).'
complete -c 'lh-pack' -n '__lh-pack_should_offer_completions_for_flags_or_options "lh-pack compact" v verbose' -l 'verbose' -s 'v' -d 'Print more detail on stderr (resolved settings, timings).'
complete -c 'lh-pack' -n '__lh-pack_should_offer_completions_for_flags_or_options "lh-pack compact" version' -l 'version' -d 'Show the version.'
complete -c 'lh-pack' -n '__lh-pack_should_offer_completions_for_flags_or_options "lh-pack compact" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'lh-pack' -n '__lh-pack_should_offer_completions_for_flags_or_options "lh-pack vacuum" lake' -l 'lake' -d 'The lake directory (default: $LH_LAKE, else ./lake).' -rfa '(__lh-pack_complete_directories)'
complete -c 'lh-pack' -n '__lh-pack_should_offer_completions_for_flags_or_options "lh-pack vacuum"' -l 'table' -d 'A table, as its path in the lake (repeatable; default: every table).' -rfka ''
complete -c 'lh-pack' -n '__lh-pack_should_offer_completions_for_flags_or_options "lh-pack vacuum" retain' -l 'retain' -d 'Keep what time travel within this span needs (default: 7d).' -rfka ''
complete -c 'lh-pack' -n '__lh-pack_should_offer_completions_for_flags_or_options "lh-pack vacuum" apply' -l 'apply' -d 'Delete the files (without it, only list them).'
complete -c 'lh-pack' -n '__lh-pack_should_offer_completions_for_flags_or_options "lh-pack vacuum" wait' -l 'wait' -d 'Wait up to DURATION for a table another lh run is writing, then carry on (default 10m; then status 75).' -rfka ''
complete -c 'lh-pack' -n '__lh-pack_should_offer_completions_for_flags_or_options "lh-pack vacuum" no-wait' -l 'no-wait' -d 'Exit 75 at once when another lh run is writing a table this run writes.'
complete -c 'lh-pack' -n '__lh-pack_should_offer_completions_for_flags_or_options "lh-pack vacuum" q quiet' -l 'quiet' -s 'q' -d 'Print nothing on stderr but errors (no summary, no progress).'
complete -c 'lh-pack' -n '__lh-pack_should_offer_completions_for_flags_or_options "lh-pack vacuum" v verbose' -l 'verbose' -s 'v' -d 'Print more detail on stderr (resolved settings, timings).'
complete -c 'lh-pack' -n '__lh-pack_should_offer_completions_for_flags_or_options "lh-pack vacuum" version' -l 'version' -d 'Show the version.'
complete -c 'lh-pack' -n '__lh-pack_should_offer_completions_for_flags_or_options "lh-pack vacuum" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'lh-pack' -n '__lh-pack_should_offer_completions_for_flags_or_options "lh-pack help" version' -l 'version' -d 'Show the version.'
