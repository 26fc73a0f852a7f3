import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const BIN = fileURLToPath(new URL('../../bin/sharpness.js', import.meta.url));

export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * The environment of a CLI run in tests: one worker thread unless a test asks for more
 * (ava already runs test files side by side on every core).
 */
export function testEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { ...process.env, SHARPNESS_WORKERS: process.env['SHARPNESS_WORKERS'] ?? '1', ...extra };
}

/** Runs `node bin/sharpness.js ...args` the way a user would; kills it after `timeoutMs`. */
export function sharpness(args: string[], opts: { timeoutMs?: number; cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: opts.cwd ?? ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: testEnv(opts.env) });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

export function lines(s: string): string[] {
  return s.split('\n').filter((l) => l !== '');
}

export const STACK_FRAME = /^\s+at /m;

/** A result document's text with cost.seconds zeroed: what must be byte-identical between runs. */
export function canonicalText(file: string): string {
  const doc = JSON.parse(readFileSync(file, 'utf8'));
  doc.cost.seconds = 0;
  return JSON.stringify(doc, null, 2);
}

/** How many items a progress file holds. */
export const savedItems = (file: string) => (JSON.parse(readFileSync(file, 'utf8')) as { items: unknown[] }).items.length;

export interface StoppedRun {
  status: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  /** Items the progress file held when the signal was sent. */
  savedBeforeSignal: number;
}

/**
 * Starts the CLI, waits until its progress file holds at least `min` items, then sends
 * `signal` (SIGKILL or SIGINT): an interruption at a known point of a long run.
 */
export function runAndStop(args: string[], progress: string, signal: NodeJS.Signals, min = 3, env: NodeJS.ProcessEnv = {}): Promise<StoppedRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: testEnv(env) });
    let stderr = '';
    let saved = 0;
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    child.stdout.resume();
    const poll = setInterval(() => {
      try {
        if (!existsSync(progress)) return;
        const n = savedItems(progress);
        if (n >= min) {
          clearInterval(poll);
          saved = n;
          child.kill(signal);
        }
      } catch {
        // replaced while being read: try again
      }
    }, 5);
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('error', reject);
    child.on('close', (status, sig) => {
      clearInterval(poll);
      clearTimeout(timer);
      resolve({ status, signal: sig, stderr, savedBeforeSignal: saved });
    });
  });
}
