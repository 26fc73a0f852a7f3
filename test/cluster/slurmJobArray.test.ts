/**
 * The README's Slurm job array on a real scheduler: a single-node Slurm started in a
 * temporary directory (scripts/slurm/local-slurm.sh) runs the README's own `shards.sbatch`
 * (taken from its code block) as a 3-task array for a landscape and for a volume, each
 * followed by the README's merge as an `afterok` job. Task 2 of each array is requeued
 * with `scontrol requeue` once its progress file holds a few items: Slurm kills it and
 * starts it again, and it must resume from that file. The merged documents must equal a
 * single local run byte for byte (cost.seconds aside).
 *
 * Without Slurm (slurmctld, slurmd, munged: Debian's slurm-wlm and munge) or when the
 * daemons do not start (not root, no network namespace...), the test passes and logs why.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import { ROOT, canonicalText, savedItems, sharpness } from '../helpers/cli.ts';
import { saveMnistMlp, tempDir } from '../helpers/checkpoints.ts';
import { useBackend } from '../helpers/engine.ts';

const LOCAL_SLURM = path.join(ROOT, 'scripts/slurm/local-slurm.sh');
/** The whole test stops by itself after this long. */
const DEADLINE_MS = 240_000;
const SHARDS = 3;
/** The task that is requeued midway. */
const KILLED = 2;

interface Measure {
  name: string;
  args: string[];
  /** Items the killed task must have saved before it is requeued. */
  killAfter: number;
}

// --save-interval 0 saves progress after every item, so a task can be requeued midway.
const MEASURES: Measure[] = [
  {
    name: 'plane',
    args: ['landscape', 'mlp', '--random-plane', '--range', '-1:1:9', '--data', 'mnist:test:1000', '--backend', 'cpu', '--save-interval', '0'],
    killAfter: 3,
  },
  {
    name: 'volume',
    args: ['volume', 'mlp', '--data', 'mnist:test:200', '--delta', '0.05', '--directions', '24', '--backend', 'cpu', '--save-interval', '0'],
    killAfter: 2,
  },
];

interface Cmd {
  code: number;
  stdout: string;
  stderr: string;
}

function run(file: string, args: string[], env: NodeJS.ProcessEnv = process.env, cwd = ROOT, timeout = 60_000): Promise<Cmd> {
  return new Promise((resolve) => {
    execFile(file, args, { env, cwd, timeout, encoding: 'utf8' }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr: stderr || (err && !stderr ? err.message : '') });
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The README's code blocks this test runs: the batch script and the merge command. */
function readmeScripts(): { sbatch: string; mergeWrap: string } {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const blocks = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
  const sbatch = blocks.find((b) => b.includes('#SBATCH --array'));
  if (!sbatch) throw new Error('README.md has no sh code block with "#SBATCH --array"');
  const submit = blocks.find((b) => b.includes('--dependency=afterok'));
  const wrap = submit && /--wrap '([^']*)'/.exec(submit);
  if (!wrap) throw new Error("README.md has no sh code block with `sbatch --dependency=afterok:... --wrap '...'`");
  return { sbatch, mergeWrap: wrap[1]! };
}

let work = '';
let clusterDir = '';
let skipReason = '';
let env: NodeJS.ProcessEnv = {};

test.before(async () => {
  const missing = ['sbatch', 'scontrol', 'slurmctld', 'slurmd', 'munged'].filter(
    (bin) => !['/usr/bin', '/usr/sbin', '/bin', '/sbin', ...(process.env['PATH'] ?? '').split(':')].some((d) => d && existsSync(path.join(d, bin))),
  );
  if (missing.length > 0) {
    skipReason = `Slurm is not installed (${missing.join(', ')} not found; Debian: apt-get install slurm-wlm munge)`;
    return;
  }
  work = await tempDir('sharpness-slurm-');
  clusterDir = path.join(work, 'cluster');
  const started = await run('bash', [LOCAL_SLURM, 'start', clusterDir]);
  if (started.code !== 0) {
    skipReason = `could not start a local Slurm: ${started.stderr.trim().split('\n').pop()}`;
    clusterDir = '';
    return;
  }
  env = { ...process.env, SLURM_CONF: path.join(clusterDir, 'slurm.conf'), PATH: `${process.env['PATH']}:/usr/sbin:/sbin` };
  // The job's directory looks like a checkout: bin/sharpness.js (node resolves the link, so
  // the sources and node_modules are the repository's), the checkpoint, shards/ and logs/.
  await symlink(path.join(ROOT, 'bin'), path.join(work, 'bin'));
  await mkdir(path.join(work, 'shards'));
  await mkdir(path.join(work, 'logs'));
  await useBackend('cpu');
  await saveMnistMlp(path.join(work, 'mlp'), 1, 8);
  await writeFile(path.join(work, 'shards.sbatch'), readmeScripts().sbatch);
});

test.after.always(async () => {
  if (clusterDir) await run('bash', [LOCAL_SLURM, 'stop', clusterDir]);
  if (work) await rm(work, { recursive: true, force: true });
});

/** `scontrol show job -o ID` as fields (the first record: for an array, its first task). */
async function jobFields(id: string): Promise<Record<string, string>> {
  const r = await run('scontrol', ['show', 'job', '-o', id], env);
  const fields: Record<string, string> = {};
  for (const kv of r.stdout.split('\n')[0]!.split(' ')) {
    const i = kv.indexOf('=');
    if (i > 0) fields[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return fields;
}

const readLog = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8') : '(no log)');

interface Submitted {
  measure: Measure;
  array: string;
  merge: string;
  /** Items the killed task's progress file held when it was requeued. */
  savedAtKill: number;
}

/** Submits the README's array and merge for one measure, and requeues task KILLED midway. */
async function submit(m: Measure, mergeWrap: string, deadline: number): Promise<Submitted> {
  const sb = await run('sbatch', ['--parsable', `--job-name=${m.name}`, `--array=1-${SHARDS}`, '--cpus-per-task=1', 'shards.sbatch', ...m.args], env, work);
  if (sb.code !== 0) throw new Error(`sbatch ${m.name}: ${sb.stderr}`);
  const array = sb.stdout.trim().split(';')[0]!;
  const wrap = mergeWrap.replaceAll('plane', m.name);
  const mb = await run(
    'sbatch',
    ['--parsable', `--dependency=afterok:${array}`, `--job-name=${m.name}-merge`, `--output=logs/${m.name}-merge.log`, '--wrap', wrap],
    env,
    work,
  );
  if (mb.code !== 0) throw new Error(`sbatch ${m.name} merge: ${mb.stderr}`);
  const merge = mb.stdout.trim().split(';')[0]!;
  const progress = path.join(work, 'shards', `${m.name}-${KILLED}.json.partial.json`);
  while (Date.now() < deadline) {
    let n = 0;
    try {
      n = existsSync(progress) ? savedItems(progress) : 0;
    } catch {
      // replaced while being read
    }
    if (n >= m.killAfter) {
      const rq = await run('scontrol', ['requeue', `${array}_${KILLED}`], env);
      if (rq.code !== 0) throw new Error(`scontrol requeue ${array}_${KILLED}: ${rq.stderr}`);
      return { measure: m, array, merge, savedAtKill: n };
    }
    await sleep(50);
  }
  throw new Error(`${m.name}: task ${KILLED} never saved ${m.killAfter} items; its log:\n${readLog(path.join(work, 'logs', `${m.name}-${KILLED}.log`))}`);
}

/** Waits for a job to end; returns its final state (or the reason it never will run). */
async function waitFor(id: string, deadline: number): Promise<string> {
  while (Date.now() < deadline) {
    const f = await jobFields(id);
    const state = f['JobState'] ?? 'UNKNOWN';
    if (!['PENDING', 'RUNNING', 'COMPLETING', 'CONFIGURING', 'REQUEUED'].includes(state)) return state;
    if (f['Reason'] === 'DependencyNeverSatisfied') return `PENDING (DependencyNeverSatisfied)`;
    await sleep(500);
  }
  return 'still running at the deadline';
}

test('the README job array, with a task requeued midway, merges into the bytes of a single run', async (t) => {
  if (skipReason) {
    t.log(`skipped: ${skipReason}`);
    t.pass();
    return;
  }
  t.timeout(DEADLINE_MS + 20_000);
  const deadline = Date.now() + DEADLINE_MS;
  const { mergeWrap } = readmeScripts();
  const submitted = await Promise.all(MEASURES.map((m) => submit(m, mergeWrap, deadline)));
  // The single local runs, while Slurm works (and the requeued tasks wait to start again).
  const local = await Promise.all(
    MEASURES.map(async (m) => {
      const out = path.join(work, `${m.name}-local.json`);
      const r = await sharpness([...m.args, '--workers', '1', '--out', out, '--quiet'], { cwd: work });
      if (r.status !== 0) throw new Error(`local ${m.name}: ${r.stderr}`);
      return out;
    }),
  );
  for (const [k, s] of submitted.entries()) {
    const { name } = s.measure;
    const log = (task: number | string) => readLog(path.join(work, 'logs', `${name}-${task}.log`));
    const state = await waitFor(s.merge, deadline);
    const logs = [1, 2, 3, 'merge'].map((task) => `--- logs/${name}-${task}.log\n${log(task)}`).join('\n');
    if (state !== 'COMPLETED') {
      t.fail(`${name}: the merge job ended ${state}\n${logs}\n--- squeue\n${(await run('squeue', ['-t', 'all'], env)).stdout}`);
      continue;
    }
    // Task KILLED was requeued once, killed midway, and its second run resumed from the first's progress.
    const task = await jobFields(`${s.array}_${KILLED}`);
    t.is(task['Restarts'], '1', `${name}: task ${KILLED} restarts\n${logs}`);
    const killedLog = log(KILLED);
    t.regex(killedLog, /CANCELLED AT .* DUE TO JOB REQUEUE/);
    const resumed = new RegExp(`resuming from shards/${name}-${KILLED}\\.json\\.partial\\.json: (\\d+) of (\\d+) [^\\n]* done`).exec(killedLog);
    t.truthy(resumed, `${name}: task ${KILLED} did not resume from its progress file:\n${killedLog}`);
    if (resumed) {
      t.true(Number(resumed[1]) >= s.savedAtKill, `${name}: resumed with ${resumed[1]} items, ${s.savedAtKill} were saved when killed`);
      t.true(Number(resumed[1]) < Number(resumed[2]), `${name}: task ${KILLED} had finished before it was killed:\n${killedLog}`);
    }
    // The first run was killed, not left running: only the second one wrote the shard.
    t.is(killedLog.split('\n').filter((l) => l.includes(`written to shards/${name}-${KILLED}.json`)).length, 1, killedLog);
    t.regex(log('merge'), new RegExp(`merge: ${SHARDS} shards combined into ${name}\\.json`));
    t.deepEqual(
      readdirSync(path.join(work, 'shards')).filter((f) => f.startsWith(`${name}-`)).sort(),
      Array.from({ length: SHARDS }, (_, i) => `${name}-${i + 1}.json`),
      'one shard file per task, no progress file left',
    );
    t.is(canonicalText(path.join(work, `${name}.json`)), canonicalText(local[k]!), `${name}: merged != single run`);
  }
});
