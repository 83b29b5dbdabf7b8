function __lh-gold_should_offer_completions_for_flags_or_options -a expected_commands
    set -l non_repeating_flags_or_options $argv[2..]
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __lh-gold_parse_tokens
    test "$commands" = "$expected_commands"; and return $non_repeating_flags_or_options_absent
end

function __lh-gold_should_offer_completions_for_positional -a expected_commands positional_index_comparison expected_positional_index
    set -l non_repeating_flags_or_options
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __lh-gold_parse_tokens
    test "$commands" = "$expected_commands" -a \( "$positional_index" "$positional_index_comparison" "$expected_positional_index" \)
end

function __lh-gold_parse_tokens -S
    set -l unparsed_tokens (__lh-gold_tokens -pc)
    switch $unparsed_tokens[1]
    case 'lh-gold'
        __lh-gold_parse_subcommand 1 'lake=' 'contract=' 'table=+' 'tz=' 'rebuild' 'drop-unrecomputable' 'from=' 'to=' 'as-of=' 'dry-run' 'stream' 'max-line-bytes=' 'watermark=' 'emit=' 'update-every=' 'into=' 'wait=' 'no-wait' 'q/quiet' 'v/verbose' 'version' 'h/help'
        switch $unparsed_tokens[1]
        case 'help'
            __lh-gold_parse_subcommand -r 1 'version'
        end
    end
end

function __lh-gold_tokens
    if test (string split -m 1 -f 1 -- . "$FISH_VERSION") -gt 3
        commandline --tokens-raw $argv
    else
        commandline -o $argv
    end
end

function __lh-gold_parse_subcommand -S -a positional_count
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

function __lh-gold_complete_directories
    set -l token (commandline -t)
    string match -- '*/' $token
    set -l subdirs $token*/
    printf %s\n $subdirs
end

function __lh-gold_custom_completion
    set -x SAP_SHELL fish
    set -x SAP_SHELL_VERSION $FISH_VERSION
    set -l tokens (__lh-gold_tokens -p)
    if test -z "$(__lh-gold_tokens -t)"
        set -l index (count (__lh-gold_tokens -pc))
        set tokens $tokens[..$index] \'\' $tokens[(math $index + 1)..]
    end
    command $tokens[1] $argv $tokens
end

complete -c 'lh-gold' -f
complete -c 'lh-gold' -n '__lh-gold_should_offer_completions_for_flags_or_options "lh-gold" lake' -l 'lake' -d 'The lake directory (default: $LH_LAKE, else ./lake).' -rfa '(__lh-gold_complete_directories)'
complete -c 'lh-gold' -n '__lh-gold_should_offer_completions_for_flags_or_options "lh-gold" contract' -l 'contract' -d 'A built-in contract (clickstream, iot, sales) or a contract file (default: the one silver records, else clickstream).' -rF
complete -c 'lh-gold' -n '__lh-gold_should_offer_completions_for_flags_or_options "lh-gold"' -l 'table' -d 'Gold tables to compute (repeatable; default: all of the contract\'s).' -rfka ''
complete -c 'lh-gold' -n '__lh-gold_should_offer_completions_for_flags_or_options "lh-gold" tz' -l 'tz' -d 'Time zone days and hours are cut in (IANA name; default: the one each table records, else UTC).' -rfka ''
complete -c 'lh-gold' -n '__lh-gold_should_offer_completions_for_flags_or_options "lh-gold" rebuild' -l 'rebuild' -d 'Recompute every day (after a contract change).'
complete -c 'lh-gold' -n '__lh-gold_should_offer_completions_for_flags_or_options "lh-gold" drop-unrecomputable' -l 'drop-unrecomputable' -d 'Recompute days part of whose silver rows were archived (lh-pack archive --remove) from what silver still has, instead of keeping their gold rows.'
complete -c 'lh-gold' -n '__lh-gold_should_offer_completions_for_flags_or_options "lh-gold" from' -l 'from' -d 'Recompute days from this date on (YYYY-MM-DD).' -rfka ''
complete -c 'lh-gold' -n '__lh-gold_should_offer_completions_for_flags_or_options "lh-gold" to' -l 'to' -d 'Recompute days up to this date (YYYY-MM-DD).' -rfka ''
complete -c 'lh-gold' -n '__lh-gold_should_offer_completions_for_flags_or_options "lh-gold" as-of' -l 'as-of' -d 'Read silver as of this version or time (RFC 3339 or YYYY-MM-DD; a time before silver\'s first commit or after its latest is an error).' -rfka ''
complete -c 'lh-gold' -n '__lh-gold_should_offer_completions_for_flags_or_options "lh-gold" dry-run' -l 'dry-run' -d 'Say which days would be recomputed; write nothing.'
complete -c 'lh-gold' -n '__lh-gold_should_offer_completions_for_flags_or_options "lh-gold" stream' -l 'stream' -d 'Compute one gold table\'s windows from silver rows on stdin, as NDJSON on stdout.'
complete -c 'lh-gold' -n '__lh-gold_should_offer_completions_for_positional "lh-gold" -eq 1' -F
complete -c 'lh-gold' -n '__lh-gold_should_offer_completions_for_flags_or_options "lh-gold" max-line-bytes' -l 'max-line-bytes' -d 'Longest NDJSON input line accepted (longer: an error naming the line, status 65); memory grows with it. (default: 16MiB)' -rfka ''
complete -c 'lh-gold' -n '__lh-gold_should_offer_completions_for_flags_or_options "lh-gold" watermark' -l 'watermark' -d 'With --stream: how far behind the newest event time a window closes (default 2m).' -rfka ''
complete -c 'lh-gold' -n '__lh-gold_should_offer_completions_for_flags_or_options "lh-gold" emit' -l 'emit' -d 'With --stream: emit each window once, when final, or also as running updates.' -rfka 'final update'
complete -c 'lh-gold' -n '__lh-gold_should_offer_completions_for_flags_or_options "lh-gold" update-every' -l 'update-every' -d 'With --stream --emit update: seconds between updates (default 5s).' -rfka ''
complete -c 'lh-gold' -n '__lh-gold_should_offer_completions_for_flags_or_options "lh-gold" into' -l 'into' -d 'With --stream: also append final windows to LAKE/gold/<table>_live.' -rfa '(__lh-gold_complete_directories)'
complete -c 'lh-gold' -n '__lh-gold_should_offer_completions_for_flags_or_options "lh-gold" wait' -l 'wait' -d 'Wait up to DURATION for a table another lh run is writing, then carry on (default 10m; then status 75).' -rfka ''
complete -c 'lh-gold' -n '__lh-gold_should_offer_completions_for_flags_or_options "lh-gold" no-wait' -l 'no-wait' -d 'Exit 75 at once when another lh run is writing a table this run writes.'
complete -c 'lh-gold' -n '__lh-gold_should_offer_completions_for_flags_or_options "lh-gold" q quiet' -l 'quiet' -s 'q' -d 'Print nothing on stderr but errors (no summary, no progress).'
complete -c 'lh-gold' -n '__lh-gold_should_offer_completions_for_flags_or_options "lh-gold" v verbose' -l 'verbose' -s 'v' -d 'Print more detail on stderr (resolved settings, timings).'
complete -c 'lh-gold' -n '__lh-gold_should_offer_completions_for_flags_or_options "lh-gold" version' -l 'version' -d 'Show the version.'
complete -c 'lh-gold' -n '__lh-gold_should_offer_completions_for_flags_or_options "lh-gold" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'lh-gold' -n '__lh-gold_should_offer_completions_for_positional "lh-gold" -eq 2' -fa 'help' -d 'Show subcommand help information.'
complete -c 'lh-gold' -n '__lh-gold_should_offer_completions_for_flags_or_options "lh-gold help" version' -l 'version' -d 'Show the version.'
