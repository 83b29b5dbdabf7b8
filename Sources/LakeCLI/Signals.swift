// LakeCLI/Signals.swift
//
// Process-wide signal policy, installed once at start by `LakeCommand.main()`:
// - SIGPIPE is ignored, so a write to a closed pipe returns EPIPE and the tool ends quietly with
//   status 0 (ripgrep `main.rs`; a reader such as `head -1` closing early is not an error);
// - the first SIGINT, SIGTERM or SIGHUP sets `Interrupt.requested`: long-running stages finish
//   the line or commit in hand and return; a second one ends the process at once (128 + the
//   signal), after writing `ExitSequence` (the terminal restore of `lh-report --follow`);
// - SIGHUP is left alone when it is ignored on entry (`nohup`).

import LakeIO

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Installs the signal policy.
public enum Signals {
  /// Ignores SIGPIPE and routes SIGINT, SIGTERM and SIGHUP to `Interrupt`.
  public static func install() {
    signal(SIGPIPE, SIG_IGN)
    var stops = [SIGINT, SIGTERM]
    var current = sigaction()
    if sigaction(SIGHUP, nil, &current) == 0,
      unsafeBitCast(current.__sigaction_handler.sa_handler, to: Int.self)
        != unsafeBitCast(SIG_IGN, to: Int.self)
    {
      stops.append(SIGHUP)
    }
    for sig in stops {
      var action = sigaction()
      action.__sigaction_handler.sa_handler = { sig in
        if Interrupt.requested != 0 {
          // Second signal: stop now, with the conventional status, leaving the terminal as
          // it was found.
          ExitSequence.writeFromSignalHandler()
          _exit(128 + sig)
        }
        Interrupt.request(sig)
      }
      sigemptyset(&action.sa_mask)
      // One handler at a time: a second signal waits until the first has been recorded.
      for other in stops { sigaddset(&action.sa_mask, other) }
      action.sa_flags = 0
      sigaction(sig, &action, nil)
    }
    // A parent may hand us a mask that blocks them (some test runners and daemons do); a
    // blocked SIGTERM would stay pending forever and `--follow` would never stop.
    var unblock = sigset_t()
    sigemptyset(&unblock)
    for sig in stops { sigaddset(&unblock, sig) }
    sigaddset(&unblock, SIGPIPE)
    pthread_sigmask(SIG_UNBLOCK, &unblock, nil)
  }
}
