//! Slice 3a: one-hot, gather, concat, slice and the dropout mask — all pure data movement or
//! integer hashing, so they must equal the CPU oracle bit for bit.

use crate::common::*;
use webgrad_core::backend::Backend;
use webgrad_core::{Rng, dual_test};

const SIZES: [usize; 6] = [1, 3, 17, 255, 1023, 4097];

dual_test! {
    async fn one_hot_and_gather_rows_are_exact() {
        let Some(gpu) = gpu().await else { return };
        let cpu = reference();
        let mut rng = Rng::new(30);
        for (n, classes) in [(1, 1), (3, 17), (17, 3), (255, 10), (1023, 1), (4097, 3), (64, 1023)] {
            // labels include out-of-range ones (≥ classes): an all-zero row / a 0 gather
            let labels: Vec<u32> = (0..n).map(|_| rng.below(classes as u32 + 2)).collect();
            let x = uniform(&mut rng, n * classes, -1.0, 1.0);
            let (cl, gl) = (cpu.upload_u32(&labels), gpu.upload_u32(&labels));
            let want = read(&cpu, &cpu.one_hot(&cl, n, classes), n * classes).await;
            let got = read(&gpu, &gpu.one_hot(&gl, n, classes), n * classes).await;
            assert_close(&got, &want, EXACT, &format!("one_hot n={n} classes={classes}"));
            let want = read(&cpu, &cpu.gather_rows(&cpu.upload(&x), &cl, n, classes), n).await;
            let got = read(&gpu, &gpu.gather_rows(&gpu.upload(&x), &gl, n, classes), n).await;
            assert_close(&got, &want, EXACT, &format!("gather_rows n={n} classes={classes}"));
        }
    }

    async fn gather_table_is_exact_and_zero_out_of_range() {
        let Some(gpu) = gpu().await else { return };
        let cpu = reference();
        let mut rng = Rng::new(32);
        for (table_rows, width, n) in [(1, 1, 1), (3, 17, 3), (17, 3, 5), (255, 10, 64), (1023, 1, 1023), (4097, 3, 17)] {
            let table = uniform(&mut rng, table_rows * width, -1.0, 1.0);
            let labels: Vec<u32> = (0..table_rows).map(|_| rng.below(1000)).collect();
            // a shuffled list with some row numbers past the table
            let rows: Vec<u32> = (0..table_rows + 3).map(|_| rng.below(table_rows as u32 + 2)).collect();
            let (ct, gt) = (cpu.upload(&table), gpu.upload(&table));
            let (cl, gl) = (cpu.upload_u32(&labels), gpu.upload_u32(&labels));
            let (cr, gr) = (cpu.upload_u32(&rows), gpu.upload_u32(&rows));
            // offsets at the start, inside, and running past the end of the list
            for start in [0, rows.len() / 2, rows.len() - 1, rows.len() + 5] {
                let (cs, gs) = (cpu.upload_u32(&[start as u32]), gpu.upload_u32(&[start as u32]));
                let what = format!("gather_table rows={table_rows} width={width} n={n} start={start}");
                let want = read(&cpu, &cpu.gather_table(&ct, &cr, &cs, n, width), n * width).await;
                let got = read(&gpu, &gpu.gather_table(&gt, &gr, &gs, n, width), n * width).await;
                assert_close(&got, &want, EXACT, &what);
                // the oracle of the oracle: rows picked by hand
                for i in 0..n {
                    let row = rows.get(start + i).map(|&r| r as usize).filter(|&r| r < table_rows);
                    let expect: Vec<f32> = row.map_or(vec![0.0; width], |r| table[r * width..(r + 1) * width].to_vec());
                    assert_eq!(want[i * width..(i + 1) * width], expect[..], "{what} row {i}");
                }
                let want = cpu.read_u32(&cpu.gather_table_u32(&cl, &cr, &cs, n), n).await.unwrap();
                let got = gpu.read_u32(&gpu.gather_table_u32(&gl, &gr, &gs, n), n).await.unwrap();
                assert_eq!(got, want, "{what} (labels)");
            }
        }
    }

    async fn accumulate_hits_counts_rows_whose_label_is_the_max() {
        let Some(gpu) = gpu().await else { return };
        let cpu = reference();
        let mut rng = Rng::new(33);
        for (n, c) in [(1, 1), (3, 2), (17, 10), (255, 3), (1023, 10), (64, 1023)] {
            // few distinct values, so ties are common; a label past the classes; a NaN row
            let mut x: Vec<f32> = (0..n * c).map(|_| rng.below(4) as f32).collect();
            let labels: Vec<u32> = (0..n).map(|_| rng.below(c as u32 + 1)).collect();
            if n > 2 {
                x[c] = f32::NAN;
            }
            let want = (0..n)
                .filter(|&r| {
                    let row = &x[r * c..(r + 1) * c];
                    row.get(labels[r] as usize).is_some_and(|&mine| row.iter().all(|&v| mine >= v))
                })
                .count() as f32;
            let mut got = Vec::new();
            for b in [&cpu as &dyn Backend, &gpu] {
                let acc = b.upload(&[0.5]);
                let (xb, lb) = (b.upload(&x), b.upload_u32(&labels));
                b.accumulate_hits(&acc, &xb, &lb, n, c);
                b.accumulate_hits(&acc, &xb, &lb, n, c);
                got.push(read(b, &acc, 1).await[0]);
            }
            assert_eq!(got, vec![0.5 + 2.0 * want; 2], "n={n} c={c}: cpu, gpu vs {want} hits twice");
        }
    }

    async fn concat_and_slice_are_exact() {
        let Some(gpu) = gpu().await else { return };
        let cpu = reference();
        let mut rng = Rng::new(31);
        for (outer, inner) in [(1, 1), (3, 17), (17, 1), (2, 255), (1, 4097)] {
            let axes = [1usize, 3, 0, 17];
            let parts: Vec<Vec<f32>> = axes.iter().map(|&a| uniform(&mut rng, outer * a * inner, -1.0, 1.0)).collect();
            let total: usize = axes.iter().sum();
            let n = outer * total * inner;
            let cpu_bufs: Vec<_> = parts.iter().map(|p| cpu.upload(p)).collect();
            let gpu_bufs: Vec<_> = parts.iter().map(|p| gpu.upload(p)).collect();
            let cpu_views: Vec<_> = cpu_bufs.iter().zip(axes).collect();
            let gpu_views: Vec<_> = gpu_bufs.iter().zip(axes).collect();
            let want = cpu.concat(&cpu_views, outer, inner);
            let got = gpu.concat(&gpu_views, outer, inner);
            compare(&gpu, &got, &cpu, &want, n, EXACT, &format!("concat outer={outer} inner={inner}")).await;
            for (start, len) in [(0, total), (1, 3), (4, 17), (20, 1), (7, 0)] {
                let m = outer * len * inner;
                let want = cpu.slice(&want, (outer, total, inner), start, len);
                let got = gpu.slice(&got, (outer, total, inner), start, len);
                let what = format!("slice {start}+{len} of outer={outer} inner={inner}");
                compare(&gpu, &got, &cpu, &want, m, EXACT, &what).await;
            }
        }
    }

    async fn dropout_mask_is_bit_identical_to_cpu() {
        let Some(gpu) = gpu().await else { return };
        let cpu = reference();
        for (i, n) in SIZES.into_iter().chain([100_000]).enumerate() {
            for (p, seed) in [(0.5f32, 7u32), (0.1, 0xdead_beef), (0.9, i as u32)] {
                let want = read(&cpu, &cpu.dropout_mask(n, p, seed), n).await;
                let got = read(&gpu, &gpu.dropout_mask(n, p, seed), n).await;
                let same = got.iter().zip(&want).all(|(g, w)| g.to_bits() == w.to_bits());
                assert!(same, "dropout mask n={n} p={p} seed={seed} differs from the CPU's");
            }
        }
    }
}
