// Child process that commits one dataset, so the HTTP process's event loop keeps serving while
// Poseidon hashes (100k records: ~8 CPU-seconds on the native engine, ~40 in JavaScript). A child
// process rather than a worker thread: circomlibjs loads the blake-hash native addon, which is not
// safe to load in several threads of one process (worker exits then corrupt the heap and abort the server).
//
// Protocol (IPC, advanced serialisation so bigints survive): the parent sends
// { records, manifestPath, options } once; the child answers { ok: true, manifest } or
// { ok: false, code, message } and exits.
import { type CommitOptions, commitDataset, type DatasetRecord } from '../../circuits/dataset/index.ts';
import { isZkaiError } from '../../common/errors.ts';
import { exitWithGroupOnDisconnect, reportToParent } from './child-process.ts';

interface CommitRequest {
  records: DatasetRecord[];
  manifestPath: string;
  options: CommitOptions;
}

// If the server goes away, there is no one to answer: stop.
exitWithGroupOnDisconnect();

process.once('message', async (msg: CommitRequest) => {
  let answer: unknown;
  try {
    // Progress to the parent (a commit job's progress), once per whole percent of each phase.
    let last = '';
    const dataset = await commitDataset(msg.records, msg.manifestPath, {
      ...msg.options,
      onProgress: (phase, done, total) => {
        const percent = Math.floor((done / total) * 100);
        if (`${phase}:${percent}` === last) return;
        last = `${phase}:${percent}`;
        reportToParent({ phase, percent });
      },
    });
    answer = { ok: true, manifest: dataset.manifest };
  } catch (err) {
    answer = isZkaiError(err)
      ? { ok: false, code: err.code, message: err.message }
      : { ok: false, code: 'INTERNAL', message: String((err as Error)?.message ?? err) };
  }
  process.send!(answer, () => process.exit(0));
});
