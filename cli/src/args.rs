//! A small `--name value` / `--flag` argument reader: the commands take a handful of
//! options, which does not justify an argument-parsing dependency.

pub(crate) struct Args {
    options: Vec<(String, Option<String>)>,
    positional: Vec<String>,
}

/// Options that never take a value, so `--check FILE` leaves `FILE` positional.
const FLAGS: [&str; 3] = ["check", "json", "verbose"];

impl Args {
    pub fn new(argv: &[String]) -> Args {
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
        Args { options, positional }
    }

    /// Rejects options not in `values` (which take a value) or `flags` (which take none).
    pub fn reject_unknown(&self, values: &[&str], flags: &[&str]) -> Result<(), String> {
        for (name, value) in &self.options {
            if flags.contains(&name.as_str()) {
                if let Some(v) = value {
                    return Err(format!("--{name} takes no value (found `{v}`)"));
                }
            } else if !values.contains(&name.as_str()) {
                return Err(format!("unknown option `--{name}`; run `ordinance --help`"));
            } else if value.is_none() {
                return Err(format!("--{name} needs a value"));
            }
        }
        Ok(())
    }

    pub fn value(&self, name: &str) -> Option<&str> {
        self.options.iter().rev().find(|(n, _)| n == name).and_then(|(_, v)| v.as_deref())
    }

    /// Every value of a repeatable option, in order.
    pub fn values(&self, name: &str) -> Vec<&str> {
        self.options.iter().filter(|(n, _)| n == name).filter_map(|(_, v)| v.as_deref()).collect()
    }

    pub fn required(&self, name: &str) -> Result<&str, String> {
        self.value(name).ok_or_else(|| format!("missing --{name}; run `ordinance --help`"))
    }

    pub fn flag(&self, name: &str) -> bool {
        self.options.iter().any(|(n, _)| n == name)
    }

    pub fn positional(&self) -> &[String] {
        &self.positional
    }
}
