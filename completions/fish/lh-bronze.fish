function __lh-bronze_should_offer_completions_for_flags_or_options -a expected_commands
    set -l non_repeating_flags_or_options $argv[2..]
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __lh-bronze_parse_tokens
    test "$commands" = "$expected_commands"; and return $non_repeating_flags_or_options_absent
end

function __lh-bronze_should_offer_completions_for_positional -a expected_commands positional_index_comparison expected_positional_index
    set -l non_repeating_flags_or_options
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __lh-bronze_parse_tokens
    test "$commands" = "$expected_commands" -a \( "$positional_index" "$positional_index_comparison" "$expected_positional_index" \)
end

function __lh-bronze_parse_tokens -S
    set -l unparsed_tokens (__lh-bronze_tokens -pc)
    switch $unparsed_tokens[1]
    case 'lh-bronze'
        __lh-bronze_parse_subcommand -r 1 'lake=' 'commit-every=+' 'tee' 'dry-run' 'settle=' 'final' 'max-line-bytes=' 'threads=' 'zstd-level=' 'wait=' 'no-wait' 'q/quiet' 'v/verbose' 'version' 'h/help'
        switch $unparsed_tokens[1]
        case 'help'
            __lh-bronze_parse_subcommand -r 1 'version'
        end
    end
end

function __lh-bronze_tokens
    if test (string split -m 1 -f 1 -- . "$FISH_VERSION") -gt 3
        commandline --tokens-raw $argv
    else
        commandline -o $argv
    end
end

function __lh-bronze_parse_subcommand -S -a positional_count
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

function __lh-bronze_complete_directories
    set -l token (commandline -t)
    string match -- '*/' $token
    set -l subdirs $token*/
    printf %s\n $subdirs
end

function __lh-bronze_custom_completion
    set -x SAP_SHELL fish
    set -x SAP_SHELL_VERSION $FISH_VERSION
    set -l tokens (__lh-bronze_tokens -p)
    if test -z "$(__lh-bronze_tokens -t)"
        set -l index (count (__lh-bronze_tokens -pc))
        set tokens $tokens[..$index] \'\' $tokens[(math $index + 1)..]
    end
    command $tokens[1] $argv $tokens
end

complete -c 'lh-bronze' -f
complete -c 'lh-bronze' -n '__lh-bronze_should_offer_completions_for_positional "lh-bronze" -ge 1' -F
complete -c 'lh-bronze' -n '__lh-bronze_should_offer_completions_for_flags_or_options "lh-bronze" lake' -l 'lake' -d 'The lake directory (default: $LH_LAKE, else ./lake).' -rfa '(__lh-bronze_complete_directories)'
complete -c 'lh-bronze' -n '__lh-bronze_should_offer_completions_for_flags_or_options "lh-bronze"' -l 'commit-every' -d 'Commit every N rows or every DURATION (repeatable; default 1000000 and 30s).' -rfka ''
complete -c 'lh-bronze' -n '__lh-bronze_should_offer_completions_for_flags_or_options "lh-bronze" tee' -l 'tee' -d 'Copy every landed line to stdout, unchanged.'
complete -c 'lh-bronze' -n '__lh-bronze_should_offer_completions_for_flags_or_options "lh-bronze" dry-run' -l 'dry-run' -d 'Say what would be landed; write nothing.'
complete -c 'lh-bronze' -n '__lh-bronze_should_offer_completions_for_flags_or_options "lh-bronze" settle' -l 'settle' -d 'A file unchanged for DURATION is complete: its unfinished last line lands (default 10s).' -rfka ''
complete -c 'lh-bronze' -n '__lh-bronze_should_offer_completions_for_flags_or_options "lh-bronze" final' -l 'final' -d 'The files are complete: land an unfinished last line now.'
complete -c 'lh-bronze' -n '__lh-bronze_should_offer_completions_for_flags_or_options "lh-bronze" max-line-bytes' -l 'max-line-bytes' -d 'Longest NDJSON input line accepted (longer: an error naming the line, status 65); memory grows with it. (default: 16MiB)' -rfka ''
complete -c 'lh-bronze' -n '__lh-bronze_should_offer_completions_for_flags_or_options "lh-bronze" threads' -l 'threads' -d 'Threads that encode and compress data files (default: one per processor).' -rfka ''
complete -c 'lh-bronze' -n '__lh-bronze_should_offer_completions_for_flags_or_options "lh-bronze" zstd-level' -l 'zstd-level' -d 'zstd compression level of the data files (1 to 22; negative levels, down to -7, are faster).' -rfka ''
complete -c 'lh-bronze' -n '__lh-bronze_should_offer_completions_for_flags_or_options "lh-bronze" wait' -l 'wait' -d 'Wait up to DURATION for a table another lh run is writing, then carry on (default 10m; then status 75).' -rfka ''
complete -c 'lh-bronze' -n '__lh-bronze_should_offer_completions_for_flags_or_options "lh-bronze" no-wait' -l 'no-wait' -d 'Exit 75 at once when another lh run is writing a table this run writes.'
complete -c 'lh-bronze' -n '__lh-bronze_should_offer_completions_for_flags_or_options "lh-bronze" q quiet' -l 'quiet' -s 'q' -d 'Print nothing on stderr but errors (no summary, no progress).'
complete -c 'lh-bronze' -n '__lh-bronze_should_offer_completions_for_flags_or_options "lh-bronze" v verbose' -l 'verbose' -s 'v' -d 'Print more detail on stderr (resolved settings, timings).'
complete -c 'lh-bronze' -n '__lh-bronze_should_offer_completions_for_flags_or_options "lh-bronze" version' -l 'version' -d 'Show the version.'
complete -c 'lh-bronze' -n '__lh-bronze_should_offer_completions_for_flags_or_options "lh-bronze" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'lh-bronze' -n '__lh-bronze_should_offer_completions_for_positional "lh-bronze" -eq 2' -fa 'help' -d 'Show subcommand help information.'
complete -c 'lh-bronze' -n '__lh-bronze_should_offer_completions_for_flags_or_options "lh-bronze help" version' -l 'version' -d 'Show the version.'
