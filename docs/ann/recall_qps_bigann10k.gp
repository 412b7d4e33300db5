set terminal pngcairo noenhanced size 1000,600
set output 'recall_qps_bigann10k.png'
set title 'recall@10 against queries/s: /work/shared/datasets/ann/bigann10k_base.bvecs'
set xlabel 'queries per second, 2 cores (log)'
set ylabel 'recall@10'
set logscale x
set grid
set key outside right
set yrange [0:1.05]
plot 'recall_qps_bigann10k.dat' index 0 using 1:2 with linespoints pointsize 1.3 title 'faiss IVF-PQ, plaintext (batch)', \
     'recall_qps_bigann10k.dat' index 0 using 1:2:3 with labels offset 0.6,0.6 font ',7' notitle, \
     'recall_qps_bigann10k.dat' index 1 using 1:2 with linespoints pointsize 1.3 title 'Veil expanded', \
     'recall_qps_bigann10k.dat' index 1 using 1:2:3 with labels offset 0.6,0.6 font ',7' notitle, \
     'recall_qps_bigann10k.dat' index 2 using 1:2 with linespoints pointsize 1.3 title 'Veil expanded, refine 100', \
     'recall_qps_bigann10k.dat' index 2 using 1:2:3 with labels offset 0.6,0.6 font ',7' notitle, \
     'recall_qps_bigann10k.dat' index 3 using 1:2 with linespoints pointsize 1.3 title 'Veil expanded, fetch 16', \
     'recall_qps_bigann10k.dat' index 3 using 1:2:3 with labels offset 0.6,0.6 font ',7' notitle, \
     'recall_qps_bigann10k.dat' index 4 using 1:2 with linespoints pointsize 1.3 title 'Veil expanded, fetch 16, refine 100', \
     'recall_qps_bigann10k.dat' index 4 using 1:2:3 with labels offset 0.6,0.6 font ',7' notitle, \
     'recall_qps_bigann10k.dat' index 5 using 1:2 with linespoints pointsize 1.3 title 'Veil expanded, fetch 64', \
     'recall_qps_bigann10k.dat' index 5 using 1:2:3 with labels offset 0.6,0.6 font ',7' notitle, \
     'recall_qps_bigann10k.dat' index 6 using 1:2 with linespoints pointsize 1.3 title 'Veil expanded, fetch 64, refine 100', \
     'recall_qps_bigann10k.dat' index 6 using 1:2:3 with labels offset 0.6,0.6 font ',7' notitle
