//! A small `--name value` / `--flag` argument reader: the commands take a handful of
//! options, which does not justify an argument-parsing dependency.

pub(crate) struct Args {
    /// The subcommand these are the arguments of, for error hints (`ordinance decide --help`).
    command: String,
    options: Vec<(String, Option<String>)>,
    positional: Vec<String>,
}

/// Options that never take a value, so `--check FILE` leaves `FILE` positional.
const FLAGS: [&str; 4] = ["check", "json", "verbose", "help"];

impl Args {
    pub fn new(command: &str, argv: &[String]) -> Args {
        let mut options = Vec::new();
        let mut positional = Vec::new();
        let mut i = 0;
        while let Some(arg) = argv.get(i) {
            if let Some(name) = arg.strip_prefix("--") {
                if let Some((n, v)) = name.split_once('=') {
                    options.push((n.to_string(), Some(v.to_string())));
                } else {
                    let takes_value = !FLAGS.contains(&name);
                    let value =
                        argv.get(i + 1).filter(|v| takes_value && (!v.starts_with("--") || v.as_str() == "-")).cloned();
                    if value.is_some() {
                        i += 1;
                    }
                    options.push((name.to_string(), value));
                }
            } else {
                positional.push(arg.clone());
            }
            i += 1;
        }
        Args { command: command.to_string(), options, positional }
    }

    /// Whether `--help` or `-h` was given (a `-h` that is an option's value does not count).
    pub fn wants_help(&self) -> bool {
        self.flag("help") || self.positional.iter().any(|p| p == "-h")
    }

    /// Checks the options against what the command takes: `single` options take one value
    /// and may be given once (a second one would silently replace the first), `repeatable`
    /// ones take a value each time, `flags` take none. Anything else is an unknown option.
    pub fn check_options(&self, single: &[&str], repeatable: &[&str], flags: &[&str]) -> Result<(), String> {
        let command = &self.command;
        for (i, (name, value)) in self.options.iter().enumerate() {
            if flags.contains(&name.as_str()) {
                if let Some(v) = value {
                    return Err(format!("--{name} takes no value (found `{v}`)"));
                }
            } else if !single.contains(&name.as_str()) && !repeatable.contains(&name.as_str()) {
                return Err(format!("unknown option `--{name}`; run `ordinance {command} --help`"));
            } else if value.is_none() {
                return Err(format!("--{name} needs a value"));
            }
            if single.contains(&name.as_str()) {
                let earlier = self.options.iter().take(i).find(|(n, _)| n == name);
                if let Some((_, first)) = earlier {
                    let (first, second) = (first.as_deref().unwrap_or_default(), value.as_deref().unwrap_or_default());
                    return Err(format!("`--{name}` given twice (`{first}`, then `{second}`); give it once"));
                }
            }
        }
        Ok(())
    }

    /// Refuses `option` together with any of `others`, which it replaces: otherwise the
    /// others would be silently ignored.
    pub fn exclusive(&self, option: &str, others: &[&str], why: &str) -> Result<(), String> {
        if !self.flag(option) {
            return Ok(());
        }
        match others.iter().find(|other| self.flag(other)) {
            Some(other) => Err(format!("`--{option}` cannot be combined with `--{other}`: {why}")),
            None => Ok(()),
        }
    }

    pub fn value(&self, name: &str) -> Option<&str> {
        self.options.iter().rev().find(|(n, _)| n == name).and_then(|(_, v)| v.as_deref())
    }

    /// Every value of a repeatable option, in order.
    pub fn values(&self, name: &str) -> Vec<&str> {
        self.options.iter().filter(|(n, _)| n == name).filter_map(|(_, v)| v.as_deref()).collect()
    }

    pub fn required(&self, name: &str) -> Result<&str, String> {
        let command = &self.command;
        self.value(name).ok_or_else(|| format!("missing --{name}; run `ordinance {command} --help`"))
    }

    /// Whether the option was given at all (with or without a value).
    pub fn flag(&self, name: &str) -> bool {
        self.options.iter().any(|(n, _)| n == name)
    }

    pub fn positional(&self) -> &[String] {
        &self.positional
    }
}
