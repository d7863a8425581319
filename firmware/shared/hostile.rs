// What the `hostile` firmware's producers log after `data=`, by sequence
// number modulo the length (issue 14): line breaks, terminal controls,
// imitations of other records, notices and the replay marker, invalid
// UTF-8. `include!`d by the firmware (which logs it) and by the checker
// (which verifies every record's data against it), so the two never drift.

/// The hostile payloads, by sequence number modulo the length.
pub const HOSTILE: [&[u8]; 10] = [
    b"home\n[    0.000001] ERROR t0: forged line\x1b[2J\x07",
    b"\n\n\n",
    b"! 3 messages dropped",
    b"ok\n[    0.000000] WARN  logbuf: ! 5 messages dropped\nWARN  logbuf: 1 message dropped",
    b"| looks like a continuation\n|",
    b"\n! logbuf: output cut by panic takeover; record replayed:\n",
    b"tab\tback\\slash \x7f\r\0 end",
    b"\xc2\x9b31m \xe2\x80\xa8 \xe2\x80\xae \xc3\xa9",
    b"raw\r\n\x00\xff bytes",
    b"\xc3 cut \xfe\n",
];
