//! `diorama score` and `diorama export`: VSI-Bench metrics for a model's raw outputs, and the questions in
//! VSI-Bench's record format or as LLaVA-style training conversations.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::Value;

#[derive(Debug, thiserror::Error)]
pub enum ScoreError {
    #[error("cannot read {path}: {cause}")]
    Read { path: PathBuf, cause: std::io::Error },
    #[error("{path}, line {line}: {problem}")]
    Line { path: PathBuf, line: usize, problem: String },
}

/// One question as scoring needs it.
#[derive(Debug, Clone)]
pub struct Scorable {
    pub id: String,
    pub question_type: String,
    pub metric: String,
    pub answer: String,
}

/// VSI-Bench's parse of a raw model output: the first space-separated token, trailing dots removed.
pub fn first_token(output: &str) -> &str {
    output.trim().split(' ').next().unwrap_or("").trim_end_matches('.').trim()
}

/// Mean relative accuracy over thresholds 0.50, 0.55, ..., 0.95 (`|pred - truth| / |truth| <= 1 - theta`); an
/// unparsable prediction scores 0.
pub fn mra(prediction: &str, truth: f64) -> f64 {
    match first_token(prediction).parse::<f64>() {
        Ok(p) if p.is_finite() => diorama_sim::qa::mean_relative_accuracy(p, truth),
        _ => 0.0,
    }
}

/// The score of one raw output: exact match of the letter (case-insensitive) for multiple choice, MRA for
/// numbers.
pub fn score_one(q: &Scorable, prediction: &str) -> f64 {
    if q.metric == "accuracy" {
        f64::from(first_token(prediction).eq_ignore_ascii_case(&q.answer))
    } else {
        q.answer.parse::<f64>().map_or(0.0, |t| mra(prediction, t))
    }
}

/// Scores per question type and overall.
#[derive(Debug, Clone, Serialize)]
pub struct ScoreReport {
    /// Per type: mean score and number of questions.
    pub per_type: BTreeMap<String, TypeScore>,
    /// VSI-Bench's overall: the mean of task scores, the three relative-direction levels first averaged into one.
    pub overall: f64,
    pub questions: usize,
    /// Questions with no prediction (scored 0).
    pub missing: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct TypeScore {
    pub score: f64,
    pub count: usize,
}

pub fn read_questions(dataset: &Path) -> Result<Vec<Scorable>, ScoreError> {
    let path = dataset.join("qa.jsonl");
    read_jsonl(&path)?
        .into_iter()
        .enumerate()
        .map(|(i, v)| {
            let s = |k: &str| {
                v[k].as_str().map(str::to_string).ok_or_else(|| ScoreError::Line {
                    path: path.clone(),
                    line: i + 1,
                    problem: format!("no string `{k}`"),
                })
            };
            Ok(Scorable {
                id: s("id")?,
                question_type: s("question_type")?,
                metric: s("metric")?,
                answer: s("answer")?,
            })
        })
        .collect()
}

fn read_jsonl(path: &Path) -> Result<Vec<Value>, ScoreError> {
    let text = std::fs::read_to_string(path).map_err(|cause| ScoreError::Read { path: path.to_path_buf(), cause })?;
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str(l).map_err(|e| ScoreError::Line {
                path: path.to_path_buf(),
                line: i + 1,
                problem: format!("not JSON: {e}"),
            })
        })
        .collect()
}

/// Scores a predictions file (`{"id": ..., "prediction": "raw output"}` per line) against a dataset.
pub fn score(dataset: &Path, predictions: &Path) -> Result<ScoreReport, ScoreError> {
    let questions = read_questions(dataset)?;
    let mut preds: BTreeMap<String, String> = BTreeMap::new();
    for (i, v) in read_jsonl(predictions)?.into_iter().enumerate() {
        let line = |problem: String| ScoreError::Line { path: predictions.to_path_buf(), line: i + 1, problem };
        let id = v["id"].as_str().map(str::to_string).or_else(|| v["id"].as_u64().map(|n| n.to_string()));
        let id = id.ok_or_else(|| line("no `id`".into()))?;
        let p = v["prediction"].as_str().ok_or_else(|| line("no string `prediction`".into()))?;
        if !questions.iter().any(|q| q.id == id) {
            return Err(line(format!("`{id}` is not a question of this dataset")));
        }
        if preds.insert(id.clone(), p.to_string()).is_some() {
            return Err(line(format!("`{id}` is predicted twice")));
        }
    }
    Ok(report(&questions, &preds))
}

pub fn report(questions: &[Scorable], preds: &BTreeMap<String, String>) -> ScoreReport {
    let mut sums: BTreeMap<String, (f64, usize)> = BTreeMap::new();
    let mut missing = 0;
    for q in questions {
        let s = match preds.get(&q.id) {
            Some(p) => score_one(q, p),
            None => {
                missing += 1;
                0.0
            }
        };
        let e = sums.entry(q.question_type.clone()).or_default();
        e.0 += s;
        e.1 += 1;
    }
    let per_type: BTreeMap<String, TypeScore> =
        sums.into_iter().map(|(t, (s, n))| (t, TypeScore { score: s / n as f64, count: n })).collect();
    // Tasks: relative direction's three levels count as one task (their mean).
    let mut tasks: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for (t, s) in &per_type {
        let task = if t.starts_with("object_rel_direction_") { "object_rel_direction" } else { t.as_str() };
        tasks.entry(task.to_string()).or_default().push(s.score);
    }
    let task_scores: Vec<f64> = tasks.values().map(|v| v.iter().sum::<f64>() / v.len() as f64).collect();
    let overall = if task_scores.is_empty() { 0.0 } else { task_scores.iter().sum::<f64>() / task_scores.len() as f64 };
    ScoreReport { per_type, overall, questions: questions.len(), missing }
}

/// The export formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// VSI-Bench's records: `{id, dataset, scene_name, question_type, question, options, ground_truth}` (plus
    /// `video_path`).
    VsiBench,
    /// LLaVA-style conversations with VSI-Bench's prompts, for training.
    Llava,
    /// The same, numeric questions asked as multiple choice where they carry a variant (`mc_options`).
    LlavaChoice,
}

const PRE_PROMPT: &str = "These are frames of a video.";
const MC_POST: &str = "Answer with the option's letter from the given choices directly.";
const NA_POST: &str = "Please answer the question using a single word or phrase.";

/// The dataset's questions in `format`, one JSON object per line.
pub fn export(dataset: &Path, format: ExportFormat) -> Result<Vec<u8>, ScoreError> {
    let path = dataset.join("qa.jsonl");
    let mut out = Vec::new();
    for (i, q) in read_jsonl(&path)?.into_iter().enumerate() {
        let strings = |v: &Value| -> Option<Vec<String>> {
            v.as_array().map(|a| a.iter().filter_map(|o| o.as_str().map(str::to_string)).collect())
        };
        let mut options = strings(&q["options"]);
        let mut answer = q["answer"].clone();
        if format == ExportFormat::LlavaChoice && options.is_none() && q["mc_answer"].is_string() {
            options = strings(&q["mc_options"]);
            answer = q["mc_answer"].clone();
        }
        let rec = match format {
            ExportFormat::VsiBench => serde_json::json!({
                "id": i,
                "dataset": "diorama",
                "scene_name": q["scene_id"],
                "question_type": q["question_type"],
                "question": q["question"],
                "options": options,
                "ground_truth": q["answer"],
                "video_path": q["video"],
            }),
            ExportFormat::Llava | ExportFormat::LlavaChoice => {
                let body = q["question"].as_str().unwrap_or_default();
                let prompt = match &options {
                    Some(o) => format!("<video>\n{PRE_PROMPT}\n{body}\nOptions:\n{}\n{MC_POST}", o.join("\n")),
                    None => format!("<video>\n{PRE_PROMPT}\n{body}\n{NA_POST}"),
                };
                serde_json::json!({
                    "id": q["id"],
                    "video": q["video"],
                    "conversations": [
                        {"from": "human", "value": prompt},
                        {"from": "gpt", "value": answer},
                    ],
                })
            }
        };
        serde_json::to_writer(&mut out, &rec).expect("record serialises");
        out.push(b'\n');
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(id: &str, t: &str, metric: &str, answer: &str) -> Scorable {
        Scorable { id: id.into(), question_type: t.into(), metric: metric.into(), answer: answer.into() }
    }

    #[test]
    fn raw_outputs_parse_like_vsi_bench() {
        assert_eq!(first_token("C. sofa"), "C");
        assert_eq!(first_token("  2.5 meters"), "2.5");
        assert_eq!(first_token("b."), "b");
        let mc = q("1", "object_rel_distance", "accuracy", "B");
        assert_eq!(score_one(&mc, "b. the chair"), 1.0);
        assert_eq!(score_one(&mc, "The answer is B"), 0.0);
        let na = q("2", "object_abs_distance", "mra", "2.0");
        assert_eq!(score_one(&na, "2.3"), 0.8);
        assert_eq!(score_one(&na, "about two"), 0.0);
    }

    #[test]
    fn perfect_predictions_score_one_and_known_perturbations_their_mra() {
        let qs = vec![
            q("a", "object_counting", "mra", "4"),
            q("b", "object_abs_distance", "mra", "2.5"),
            q("c", "object_rel_direction_easy", "accuracy", "A"),
            q("d", "object_rel_direction_hard", "accuracy", "D"),
            q("e", "object_rel_distance", "accuracy", "C"),
        ];
        let perfect: BTreeMap<String, String> = qs.iter().map(|q| (q.id.clone(), q.answer.clone())).collect();
        let r = report(&qs, &perfect);
        assert_eq!(r.overall, 1.0);
        assert!(r.per_type.values().all(|t| t.score == 1.0));
        // Worked by hand: 4 -> 5 is 25 % off (passes theta 0.50..0.75: 6 of 10); 2.5 -> 2.8 is 12 % off (theta
        // 0.50..0.85: 8 of 10); easy right, hard wrong (direction task = 0.5); rel_distance right.
        let mut p = perfect.clone();
        p.insert("a".into(), "5".into());
        p.insert("b".into(), "2.8".into());
        p.insert("d".into(), "A".into());
        let r = report(&qs, &p);
        assert!((r.per_type["object_counting"].score - 0.6).abs() < 1e-12);
        assert!((r.per_type["object_abs_distance"].score - 0.8).abs() < 1e-12);
        // Tasks: counting 0.6, abs distance 0.8, rel direction (1 + 0) / 2, rel distance 1.
        assert!((r.overall - (0.6 + 0.8 + 0.5 + 1.0) / 4.0).abs() < 1e-12, "{}", r.overall);
        // A missing prediction scores zero and is counted.
        p.remove("e");
        let r = report(&qs, &p);
        assert_eq!(r.missing, 1);
        assert_eq!(r.per_type["object_rel_distance"].score, 0.0);
    }
}

/// How guessable each question type is without the video: its answer distribution and the score of the best
/// constant answer (a text-only baseline). High baselines flag templates a model can game.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TypeBalance {
    pub questions: usize,
    /// Multiple choice: how often each letter is the answer.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub letters: BTreeMap<String, usize>,
    /// Multiple choice: how often each option text is the answer (the ten most frequent).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub top_answers: Vec<(String, usize)>,
    /// The best constant answer and its score: a letter or option text for multiple choice, a number for
    /// numeric questions (chosen among the answers themselves, scored by MRA).
    pub best_constant: String,
    pub best_constant_score: f64,
}

/// Per question type, the balance of `questions` (records of qa.jsonl: `question_type`, `answer`, `options`,
/// `ground_truth`).
pub fn balance(questions: &[Value]) -> BTreeMap<String, TypeBalance> {
    let mut b = BalanceBuilder::default();
    for q in questions {
        b.add(q);
    }
    b.finish()
}

/// What a question type's balance needs, tallied one question at a time (a build's questions are never all in
/// memory at once).
#[derive(Debug, Default)]
struct Tally {
    questions: usize,
    all_multiple_choice: bool,
    letters: BTreeMap<String, usize>,
    texts: BTreeMap<String, usize>,
    /// Numeric answers as written, with how often each occurs.
    numbers: BTreeMap<String, usize>,
}

/// Streams questions into per-type balances.
#[derive(Debug, Default)]
pub struct BalanceBuilder {
    tallies: BTreeMap<String, Tally>,
}

impl BalanceBuilder {
    pub fn add(&mut self, q: &Value) {
        let t = self
            .tallies
            .entry(q["question_type"].as_str().unwrap_or_default().to_string())
            .or_insert(Tally { all_multiple_choice: true, ..Tally::default() });
        t.questions += 1;
        let answer = q["answer"].as_str().unwrap_or_default();
        if q["options"].is_array() {
            *t.letters.entry(answer.to_string()).or_default() += 1;
            *t.texts.entry(q["ground_truth"].as_str().unwrap_or_default().to_string()).or_default() += 1;
        } else {
            t.all_multiple_choice = false;
        }
        if answer.parse::<f64>().is_ok() {
            *t.numbers.entry(answer.to_string()).or_default() += 1;
        }
    }

    pub fn finish(self) -> BTreeMap<String, TypeBalance> {
        self.tallies.into_iter().map(|(t, tally)| (t, type_balance(tally))).collect()
    }
}

fn type_balance(t: Tally) -> TypeBalance {
    let n = t.questions;
    if t.all_multiple_choice {
        let mut top: Vec<(String, usize)> = t.texts.into_iter().collect();
        top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let (bl, bn) = t.letters.iter().max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0))).expect("one");
        // Always answering the same text (when it is an option) or the same letter.
        let (best, score) = if top[0].1 > *bn {
            (top[0].0.clone(), top[0].1 as f64 / n as f64)
        } else {
            (bl.clone(), *bn as f64 / n as f64)
        };
        top.truncate(10);
        return TypeBalance {
            questions: n,
            letters: t.letters,
            top_answers: top,
            best_constant: best,
            best_constant_score: score,
        };
    }
    // The best constant among the distinct answers, each weighed by how often it occurs: quadratic in the
    // distinct answers only (a tenth of a metre apart), not in the questions.
    let values: Vec<(f64, usize)> = t.numbers.iter().filter_map(|(a, &k)| Some((a.parse().ok()?, k))).collect();
    let mean_mra = |c: f64| {
        values.iter().map(|&(a, k)| k as f64 * diorama_sim::qa::mean_relative_accuracy(c, a)).sum::<f64>() / n as f64
    };
    let mut candidates: Vec<f64> = values.iter().map(|v| v.0).collect();
    candidates.sort_by(f64::total_cmp);
    let (best, score) =
        candidates.iter().map(|&c| (c, mean_mra(c))).fold((0.0, -1.0), |acc, x| if x.1 > acc.1 { x } else { acc });
    TypeBalance {
        questions: n,
        letters: BTreeMap::new(),
        top_answers: Vec::new(),
        best_constant: format!("{best}"),
        best_constant_score: score.max(0.0),
    }
}

#[cfg(test)]
mod balance_tests {
    use super::*;

    #[test]
    fn constant_baselines_are_found() {
        let qs: Vec<Value> = [("A", "left"), ("B", "left"), ("C", "right"), ("D", "left")]
            .iter()
            .map(|(l, t)| {
                serde_json::json!({"question_type": "dir", "answer": l, "ground_truth": t, "options": ["A. x"]})
            })
            .chain([2.0, 2.0, 4.0].iter().map(|v| {
                serde_json::json!({"question_type": "num", "answer": format!("{v}"), "ground_truth": v, "options": null})
            }))
            .collect();
        let b = balance(&qs);
        // Always "left": 3 of 4; each letter once.
        assert_eq!((b["dir"].best_constant.as_str(), b["dir"].best_constant_score), ("left", 0.75));
        assert_eq!(b["dir"].letters.values().copied().collect::<Vec<_>>(), [1, 1, 1, 1]);
        // Always 2.0: exact on two, 50 % off on the third (MRA 0.1): (1 + 1 + 0.1) / 3.
        assert_eq!(b["num"].best_constant, "2");
        assert!((b["num"].best_constant_score - 2.1 / 3.0).abs() < 1e-12);
    }
}
