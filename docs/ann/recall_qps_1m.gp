set terminal pngcairo noenhanced size 1000,600
set output 'recall_qps_1m.png'
set title 'recall@10 against queries/s: generated SIFT-like, 1000000 x 128, seed 1'
set xlabel 'queries per second, 2 cores (log)'
set ylabel 'recall@10'
set logscale x
set grid
set key outside right
set yrange [0:1.05]
plot 'recall_qps_1m.dat' index 0 using 1:2 with linespoints pointsize 1.3 title 'faiss IVF-PQ, plaintext (batch)', \
     'recall_qps_1m.dat' index 0 using 1:2:3 with labels offset 0.6,0.6 font ',7' notitle, \
     'recall_qps_1m.dat' index 1 using 1:2 with linespoints pointsize 1.3 title 'Veil expanded', \
     'recall_qps_1m.dat' index 1 using 1:2:3 with labels offset 0.6,0.6 font ',7' notitle, \
     'recall_qps_1m.dat' index 2 using 1:2 with linespoints pointsize 1.3 title 'Veil expanded, refine 1000', \
     'recall_qps_1m.dat' index 2 using 1:2:3 with labels offset 0.6,0.6 font ',7' notitle
