//! Which share of a build's scenes this process takes: `--shard I/N`, or a cluster's array-job variables
//! (Slurm's `SLURM_ARRAY_TASK_ID` with `SLURM_ARRAY_TASK_COUNT`, counted from `SLURM_ARRAY_TASK_MIN`; a
//! Kubernetes Indexed Job's `JOB_COMPLETION_INDEX` with `DIORAMA_SHARD_COUNT` or `--shard-count`).

use crate::pipeline::Shard;

/// Parses `I/N` (0 <= I < N).
pub fn parse(text: &str) -> Result<Shard, String> {
    let (i, n) = text.split_once('/').ok_or_else(|| format!("--shard {text}: expected I/N, e.g. 0/4"))?;
    let index: u32 = i.trim().parse().map_err(|_| format!("--shard {text}: {i} is not a shard index"))?;
    let count: u32 = n.trim().parse().map_err(|_| format!("--shard {text}: {n} is not a shard count"))?;
    if count == 0 || index >= count {
        return Err(format!(
            "--shard {text}: the index must be below the count (0/{count} to {}/{count})",
            count.max(1) - 1
        ));
    }
    Ok(Shard { index, count })
}

/// The shard from the flag, else from the environment (`env` looks a variable up), else None (all scenes).
pub fn resolve(
    flag: Option<&str>,
    count_flag: Option<u32>,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Option<Shard>, String> {
    if let Some(text) = flag {
        return parse(text).map(Some);
    }
    let num = |name: &str| -> Result<Option<u32>, String> {
        env(name).map(|v| v.trim().parse::<u32>().map_err(|_| format!("{name}={v} is not a number"))).transpose()
    };
    if let Some(id) = num("SLURM_ARRAY_TASK_ID")? {
        let count = num("SLURM_ARRAY_TASK_COUNT")?
            .or(count_flag)
            .ok_or("SLURM_ARRAY_TASK_ID is set but not SLURM_ARRAY_TASK_COUNT: pass --shard-count")?;
        let min = num("SLURM_ARRAY_TASK_MIN")?.unwrap_or(0);
        let index = id.checked_sub(min).ok_or("SLURM_ARRAY_TASK_ID is below SLURM_ARRAY_TASK_MIN")?;
        return parse(&format!("{index}/{count}")).map(Some);
    }
    if let Some(index) = num("JOB_COMPLETION_INDEX")? {
        let count = count_flag.or(num("DIORAMA_SHARD_COUNT")?).ok_or(
            "JOB_COMPLETION_INDEX is set: give the number of shards with --shard-count or DIORAMA_SHARD_COUNT",
        )?;
        return parse(&format!("{index}/{count}")).map(Some);
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| vars.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string())
    }

    #[test]
    fn shards_come_from_the_flag_then_slurm_then_kubernetes() {
        assert_eq!(resolve(Some("1/4"), None, env(&[])), Ok(Some(Shard { index: 1, count: 4 })));
        assert_eq!(resolve(None, None, env(&[])), Ok(None));
        let slurm = [("SLURM_ARRAY_TASK_ID", "3"), ("SLURM_ARRAY_TASK_COUNT", "4"), ("SLURM_ARRAY_TASK_MIN", "1")];
        assert_eq!(resolve(None, None, env(&slurm)), Ok(Some(Shard { index: 2, count: 4 })));
        assert_eq!(resolve(Some("0/2"), None, env(&slurm)), Ok(Some(Shard { index: 0, count: 2 })));
        let k8s = [("JOB_COMPLETION_INDEX", "5"), ("DIORAMA_SHARD_COUNT", "8")];
        assert_eq!(resolve(None, None, env(&k8s)), Ok(Some(Shard { index: 5, count: 8 })));
        assert!(resolve(None, None, env(&[("JOB_COMPLETION_INDEX", "5")])).unwrap_err().contains("--shard-count"));
        assert!(parse("4/4").is_err() && parse("x/2").is_err() && parse("3").is_err());
        let s = Shard { index: 1, count: 3 };
        assert_eq!((0..9).filter(|&i| s.owns(i)).collect::<Vec<_>>(), [1, 4, 7]);
    }
}
