//! `cargo run --example demo`: a firmware simulated on the host, logging
//! from thread mode and from high-rate interrupts into one logbuf, printed
//! by a fast console and a 115200-baud UART. See `sim.rs` for the model and
//! `--help` for the knobs.

mod sim;

use std::io::Write as _;
use std::process::ExitCode;

/// `println!` that ignores a closed stdout (`demo | head`).
macro_rules! say {
    ($($t:tt)*) => {{
        let _ = writeln!(std::io::stdout(), $($t)*);
    }};
}
use std::time::Duration;

const HELP: &str = "\
usage: cargo run --example demo -- [options]

  --seconds S        how long the producers run (default 3)
  --threads N        thread-mode producers (default 2)
  --thread-rate R    records/s per thread producer (default 500)
  --irqs N           interrupt producers (default 2)
  --irq-rate R       records/s per interrupt producer (default 5000)
  --burst N          records per interrupt burst (default 8)
  --baud B           slow console baud rate (default 115200)
  --ring-kib K       ring size: 4, 16 or 64 KiB (default 16)
  --irq-budget N     records an interrupt-context call may print (default 2)
  --echo             show everything the UART console prints, live
  --help             this text";

fn parse() -> Result<sim::Params, String> {
    let mut p = sim::Params::default();
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        if flag == "--help" || flag == "-h" {
            return Err(String::new());
        }
        if flag == "--echo" {
            p.echo = true;
            continue;
        }
        const VALUED: [&str; 9] = [
            "--seconds",
            "--threads",
            "--thread-rate",
            "--irqs",
            "--irq-rate",
            "--burst",
            "--baud",
            "--ring-kib",
            "--irq-budget",
        ];
        if !VALUED.contains(&flag.as_str()) {
            return Err(format!("unknown option {flag}"));
        }
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let num = |v: &str| -> Result<u32, String> {
            v.parse::<u32>()
                .map_err(|_| format!("{flag}: not a number: {v}"))
        };
        match flag.as_str() {
            "--seconds" => {
                let s: f64 = value
                    .parse()
                    .map_err(|_| format!("--seconds: not a number: {value}"))?;
                if !(0.0..=60.0).contains(&s) {
                    return Err("--seconds: 0 to 60".into());
                }
                p.run = Duration::from_secs_f64(s);
            }
            "--threads" => p.threads = num(&value)?.min(64),
            "--thread-rate" => p.thread_rate = num(&value)?,
            "--irqs" => p.irqs = num(&value)?.min(64),
            "--irq-rate" => p.irq_rate = num(&value)?,
            "--burst" => p.burst = num(&value)?.max(1),
            "--baud" => p.baud = num(&value)?.max(300),
            "--ring-kib" => p.ring_kib = num(&value)?,
            "--irq-budget" => p.irq_budget = num(&value)?,
            _ => return Err(format!("unknown option {flag}")),
        }
    }
    Ok(p)
}

fn main() -> ExitCode {
    let p = match parse() {
        Ok(p) => p,
        Err(e) if e.is_empty() => {
            say!("{HELP}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("demo: {e}\n\n{HELP}");
            return ExitCode::from(2);
        }
    };
    say!(
        "logbuf demo: {} s, {} thread producers, {} interrupt producers, a fast console and a {}-baud UART\n",
        p.run.as_secs_f64(),
        p.threads,
        p.irqs,
        p.baud
    );
    let report = sim::run(&p);
    if !p.echo {
        say!("\nlast lines the UART console printed:");
        for l in &report.uart_tail {
            say!("  {l}");
        }
    }
    say!("\n{}", report.table());
    if report.balanced() {
        say!("printed + dropped = produced on every console; every drop was announced.");
        ExitCode::SUCCESS
    } else {
        say!("NUMBERS DO NOT BALANCE");
        ExitCode::FAILURE
    }
}
