function __lh-silver_should_offer_completions_for_flags_or_options -a expected_commands
    set -l non_repeating_flags_or_options $argv[2..]
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __lh-silver_parse_tokens
    test "$commands" = "$expected_commands"; and return $non_repeating_flags_or_options_absent
end

function __lh-silver_should_offer_completions_for_positional -a expected_commands positional_index_comparison expected_positional_index
    set -l non_repeating_flags_or_options
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __lh-silver_parse_tokens
    test "$commands" = "$expected_commands" -a \( "$positional_index" "$positional_index_comparison" "$expected_positional_index" \)
end

function __lh-silver_parse_tokens -S
    set -l unparsed_tokens (__lh-silver_tokens -pc)
    switch $unparsed_tokens[1]
    case 'lh-silver'
        __lh-silver_parse_subcommand 1 'lake=' 'contract=' 'print-contract=' 'as-of=' 'rebuild' 'stream' 'dedupe-window=' 'rejects=' 'max-line-bytes=' 'dry-run' 'threads=' 'wait=' 'no-wait' 'q/quiet' 'v/verbose' 'version' 'h/help'
        switch $unparsed_tokens[1]
        case 'help'
            __lh-silver_parse_subcommand -r 1 'version'
        end
    end
end

function __lh-silver_tokens
    if test (string split -m 1 -f 1 -- . "$FISH_VERSION") -gt 3
        commandline --tokens-raw $argv
    else
        commandline -o $argv
    end
end

function __lh-silver_parse_subcommand -S -a positional_count
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

function __lh-silver_complete_directories
    set -l token (commandline -t)
    string match -- '*/' $token
    set -l subdirs $token*/
    printf %s\n $subdirs
end

function __lh-silver_custom_completion
    set -x SAP_SHELL fish
    set -x SAP_SHELL_VERSION $FISH_VERSION
    set -l tokens (__lh-silver_tokens -p)
    if test -z "$(__lh-silver_tokens -t)"
        set -l index (count (__lh-silver_tokens -pc))
        set tokens $tokens[..$index] \'\' $tokens[(math $index + 1)..]
    end
    command $tokens[1] $argv $tokens
end

complete -c 'lh-silver' -f
complete -c 'lh-silver' -n '__lh-silver_should_offer_completions_for_positional "lh-silver" -eq 1' -F
complete -c 'lh-silver' -n '__lh-silver_should_offer_completions_for_flags_or_options "lh-silver" lake' -l 'lake' -d 'The lake directory (default: $LH_LAKE, else ./lake).' -rfa '(__lh-silver_complete_directories)'
complete -c 'lh-silver' -n '__lh-silver_should_offer_completions_for_flags_or_options "lh-silver" contract' -l 'contract' -d 'The contract: clickstream, iot, sales, or a contract file (default: the one silver records, else clickstream).' -rF
complete -c 'lh-silver' -n '__lh-silver_should_offer_completions_for_flags_or_options "lh-silver" print-contract' -l 'print-contract' -d 'Print the built-in contract NAME (clickstream, iot, sales) and exit.' -rfka ''
complete -c 'lh-silver' -n '__lh-silver_should_offer_completions_for_flags_or_options "lh-silver" as-of' -l 'as-of' -d 'Read bronze as of this version or time (RFC 3339 or a date; a time before bronze\'s first commit or after its latest is an error).' -rfka ''
complete -c 'lh-silver' -n '__lh-silver_should_offer_completions_for_flags_or_options "lh-silver" rebuild' -l 'rebuild' -d 'Recompute silver from all of bronze and replace both tables (one commit each).'
complete -c 'lh-silver' -n '__lh-silver_should_offer_completions_for_flags_or_options "lh-silver" stream' -l 'stream' -d 'Refine stdin to stdout instead of the lake\'s tables.'
complete -c 'lh-silver' -n '__lh-silver_should_offer_completions_for_flags_or_options "lh-silver" dedupe-window' -l 'dedupe-window' -d 'With --stream: drop a duplicate within this much event time. (default: 10m)' -rfka ''
complete -c 'lh-silver' -n '__lh-silver_should_offer_completions_for_flags_or_options "lh-silver" rejects' -l 'rejects' -d 'With --stream: write rejects to FILE as NDJSON.' -rF
complete -c 'lh-silver' -n '__lh-silver_should_offer_completions_for_flags_or_options "lh-silver" max-line-bytes' -l 'max-line-bytes' -d 'Longest NDJSON input line accepted (longer: an error naming the line, status 65); memory grows with it. (default: 16MiB)' -rfka ''
complete -c 'lh-silver' -n '__lh-silver_should_offer_completions_for_flags_or_options "lh-silver" dry-run' -l 'dry-run' -d 'Say what would be written; write nothing.'
complete -c 'lh-silver' -n '__lh-silver_should_offer_completions_for_flags_or_options "lh-silver" threads' -l 'threads' -d 'Threads that encode and compress data files (default: one per processor).' -rfka ''
complete -c 'lh-silver' -n '__lh-silver_should_offer_completions_for_flags_or_options "lh-silver" wait' -l 'wait' -d 'Wait up to DURATION for a table another lh run is writing, then carry on (default 10m; then status 75).' -rfka ''
complete -c 'lh-silver' -n '__lh-silver_should_offer_completions_for_flags_or_options "lh-silver" no-wait' -l 'no-wait' -d 'Exit 75 at once when another lh run is writing a table this run writes.'
complete -c 'lh-silver' -n '__lh-silver_should_offer_completions_for_flags_or_options "lh-silver" q quiet' -l 'quiet' -s 'q' -d 'Print nothing on stderr but errors (no summary, no progress).'
complete -c 'lh-silver' -n '__lh-silver_should_offer_completions_for_flags_or_options "lh-silver" v verbose' -l 'verbose' -s 'v' -d 'Print more detail on stderr (resolved settings, timings).'
complete -c 'lh-silver' -n '__lh-silver_should_offer_completions_for_flags_or_options "lh-silver" version' -l 'version' -d 'Show the version.'
complete -c 'lh-silver' -n '__lh-silver_should_offer_completions_for_flags_or_options "lh-silver" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'lh-silver' -n '__lh-silver_should_offer_completions_for_positional "lh-silver" -eq 2' -fa 'help' -d 'Show subcommand help information.'
complete -c 'lh-silver' -n '__lh-silver_should_offer_completions_for_flags_or_options "lh-silver help" version' -l 'version' -d 'Show the version.'
