set terminal pngcairo size 900,600
set output 'rank1_vs_time_mnist-cnn.png'
set title 'rank-1 against time per probe: mnist-cnn (real data)'
set xlabel 'ms per probe (log)'
set ylabel 'rank-1 (%)'
set logscale x
set grid
set key outside right
set yrange [0:105]
plot 'rank1_vs_time_mnist-cnn.dat' index 0 using 1:2 with points pointsize 1.5 title 'plaintext', \
     'rank1_vs_time_mnist-cnn.dat' index 0 using 1:2:3 with labels rotate by 45 left offset 0.4,0.4 font ',7' notitle, \
     'rank1_vs_time_mnist-cnn.dat' index 1 using 1:2 with points pointsize 1.5 title 'encrypted', \
     'rank1_vs_time_mnist-cnn.dat' index 1 using 1:2:3 with labels rotate by 45 left offset 0.4,0.4 font ',7' notitle, \
     'rank1_vs_time_mnist-cnn.dat' index 2 using 1:2 with points pointsize 1.5 title 'two-stage K=100', \
     'rank1_vs_time_mnist-cnn.dat' index 2 using 1:2:3 with labels rotate by 45 left offset 0.4,0.4 font ',7' notitle, \
     'rank1_vs_time_mnist-cnn.dat' index 3 using 1:2 with points pointsize 1.5 title 'two-stage K=1000', \
     'rank1_vs_time_mnist-cnn.dat' index 3 using 1:2:3 with labels rotate by 45 left offset 0.4,0.4 font ',7' notitle
