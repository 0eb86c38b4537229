// The example: 500 spiral points, 80 % to train an MLP with the webgrad package, 20 % to test it;
// then export the trained weights as safetensors, load them into a new model and check it agrees.
// ?mode=worker runs the same training inside a Web Worker (worker.js) instead of this thread.
import init, { Mlp } from './webgrad/webgrad.js';
import { spiral, split } from './spiral.js';

const SPEC = { inputs: 2, hidden: [24, 24], activation: 'tanh', classes: 2, optimizer: 'adam', lr: 0.01, seed: 1 };
const FIT = { epochs: 300, batchSize: 16 };
const progress = document.getElementById('progress');
const result = document.getElementById('result');

function show(mode, accuracy, reloaded) {
  result.textContent = `${mode}: test accuracy ${(accuracy * 100).toFixed(1)} % (the reloaded model: ${(reloaded * 100).toFixed(1)} %)`;
  document.body.dataset.accuracy = String(accuracy);
  document.body.dataset.reloadedAccuracy = String(reloaded);
}

async function onThisThread(train, test) {
  await init();
  const model = new Mlp(SPEC);
  progress.textContent = `${model.torch}: ${model.parameterCount} parameters`;
  await model.fit(train.x, train.y, { ...FIT, onEpoch: (epoch, logs) => { progress.textContent = `epoch ${epoch}: loss ${logs.loss.toFixed(4)}`; } });
  const { accuracy } = await model.evaluate(test.x, test.y);
  const again = Mlp.load(await model.exportSafetensors());
  show('page thread', accuracy, (await again.evaluate(test.x, test.y)).accuracy);
}

function inAWorker(train, test) {
  const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
  worker.onmessage = ({ data }) => {
    if (data.epoch) progress.textContent = `epoch ${data.epoch} (in a worker): loss ${data.loss.toFixed(4)}`;
    if (data.error) result.textContent = `error: ${data.error}`;
    if (data.accuracy !== undefined) show('Web Worker', data.accuracy, data.reloaded);
  };
  worker.postMessage({ spec: SPEC, fit: FIT, train, test });
}

const { train, test } = split(spiral(500, 0.05, 7), 0.2, 11);
const mode = new URLSearchParams(location.search).get('mode') ?? 'page';
if (mode === 'worker') {
  inAWorker(train, test);
} else {
  onThisThread(train, test).catch((e) => { result.textContent = `error: ${e.message}`; });
}
