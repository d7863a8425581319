//! `fwcheck FILE [--require NAME@CTX]... [--panic TEXT] [--replay]
//! [--wcet B1,B2 --wcet-factor F] [--newest NAME=K]... [--irq-ratio P=R]...
//! [--warm-reset] [--note KEY=VALUE]...`: checks a firmware's UART capture (see
//! the library documentation). Exit status 0: it passes; 1: it breaks a rule
//! (each violation is printed); 2: bad arguments or unreadable file.
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().is_some_and(|a| a == "multicore") {
        return logbuf_fwcheck::multicore::main(&args[1..]);
    }
    let (file, spec) = match logbuf_fwcheck::parse_args(&args) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("fwcheck: {e}");
            return ExitCode::from(2);
        }
    };
    let text = match std::fs::read(&file) {
        // Bytes that are not UTF-8 become U+FFFD and fail the line grammar.
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(e) => {
            eprintln!("fwcheck: {file}: {e}");
            return ExitCode::from(2);
        }
    };
    match logbuf_fwcheck::check(&text, &spec) {
        Ok(report) => {
            println!("fwcheck: {file}: ok: {report}");
            ExitCode::SUCCESS
        }
        Err(violations) => {
            for v in violations.iter().take(20) {
                println!("fwcheck: {file}: {v}");
            }
            if violations.len() > 20 {
                println!("fwcheck: {file}: ... {} more", violations.len() - 20);
            }
            println!("fwcheck: {file}: FAILED ({} violations)", violations.len());
            ExitCode::FAILURE
        }
    }
}
