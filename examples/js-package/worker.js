// The example's Web Worker: the same package, imported here, trains off the page's thread.
import init, { Mlp } from './webgrad/webgrad.js';

self.onmessage = async ({ data: { spec, fit, train, test } }) => {
  try {
    await init();
    const model = new Mlp(spec);
    await model.fit(train.x, train.y, { ...fit, onEpoch: (epoch, logs) => self.postMessage({ epoch, loss: logs.loss }) });
    const { accuracy } = await model.evaluate(test.x, test.y);
    const again = Mlp.load(await model.exportSafetensors());
    self.postMessage({ accuracy, reloaded: (await again.evaluate(test.x, test.y)).accuracy });
  } catch (e) {
    self.postMessage({ error: e.message });
  }
};
