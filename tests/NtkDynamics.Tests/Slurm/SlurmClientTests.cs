using NtkDynamics.Experiments.Slurm;

namespace NtkDynamics.Tests.Slurm;

/// <summary>Answers each command with a canned result and records what was run.</summary>
internal sealed class FakeRunner(Func<string, IReadOnlyList<string>, ProcessResult> answer) : IProcessRunner
{
    public List<(string Program, string[] Arguments, string? WorkingDirectory)> Calls { get; } = [];

    public ProcessResult Run(string program, IReadOnlyList<string> arguments, string? workingDirectory = null)
    {
        Calls.Add((program, arguments.ToArray(), workingDirectory));
        return answer(program, arguments);
    }

    public static FakeRunner Printing(string stdout, string stderr = "", int exitCode = 0) =>
        new((_, _) => new ProcessResult(exitCode, stdout, stderr));
}

// Outputs below were captured from Slurm 22.05.8 (scripts/slurm/start-local.sh), except the sacct sample, which follows
// the documented `sacct -n -P -X -o JobID,State,ExitCode` format (this machine has no accounting database).
public class SlurmClientTests
{
    private static string States(IReadOnlyDictionary<int, ArrayTaskState> tasks) =>
        string.Join(" ", tasks.Values.Select(t => $"{t.Index}:{t.State}" + (t.ExitCode is null ? "" : $":{t.ExitCode}")));

    [Theory]
    [InlineData("1234\n", "1234")]
    [InlineData("1234;cluster\n", "1234")]
    public void SubmitReturnsTheJobId(string stdout, string id)
    {
        var runner = FakeRunner.Printing(stdout);
        Assert.Equal(id, new SlurmClient(runner).Submit("/s/job.sh", "/s"));
        Assert.Equal("sbatch", runner.Calls[0].Program);
        Assert.Equal(["--parsable", "/s/job.sh"], runner.Calls[0].Arguments);
        Assert.Equal("/s", runner.Calls[0].WorkingDirectory);
    }

    [Fact]
    public void SubmitFailureCarriesSbatchsWords()
    {
        var runner = FakeRunner.Printing("", """
            sbatch: error: invalid partition specified: nosuch
            sbatch: error: Batch job submission failed: Invalid partition name specified
            """, exitCode: 1);
        var e = Assert.Throws<SlurmException>(() => new SlurmClient(runner).Submit("job.sh"));
        Assert.Contains("invalid partition specified: nosuch", e.Message);
        Assert.DoesNotContain("\n", e.Message);
    }

    [Fact]
    public void SubmitWithoutAJobIdFails() =>
        Assert.Throws<SlurmException>(() => new SlurmClient(FakeRunner.Printing("Submitted batch job\n")).Submit("job.sh"));

    [Fact]
    public void QueueReadsOneLinePerTask()
    {
        var runner = FakeRunner.Printing("""
            6_2 PENDING
            6_3 PENDING
            6_4 PENDING
            6_5 PENDING
            6_1 RUNNING
            7_0 RUNNING
            """);
        var tasks = new SlurmClient(runner).Queue("6");
        Assert.Equal("1:RUNNING 2:PENDING 3:PENDING 4:PENDING 5:PENDING", States(tasks));
        Assert.Equal(new[] { "-h", "-r", "-j", "6", "-o", "%i %T" }, runner.Calls[0].Arguments);
        Assert.False(tasks[1].IsEnded);
    }

    [Fact]
    public void QueueExpandsCollapsedPendingTasks() =>
        Assert.Equal("1:RUNNING 2:PENDING 3:PENDING 4:PENDING 5:PENDING",
            States(new SlurmClient(FakeRunner.Printing("6_[2-5%3] PENDING\n6_1 RUNNING\n")).Queue("6")));

    [Fact]
    public void QueueOfAnUnknownJobIsEmpty() =>
        Assert.Empty(new SlurmClient(FakeRunner.Printing("", "slurm_load_jobs error: Invalid job id specified\n", 1)).Queue("999"));

    [Fact]
    public void QueueFailsWhenTheControllerIsDown()
    {
        var runner = FakeRunner.Printing("", "slurm_load_jobs error: Unable to contact slurm controller (connect failure)\n", 1);
        Assert.Contains("Unable to contact slurm controller", Assert.Throws<SlurmException>(() => new SlurmClient(runner).Queue("6")).Message);
    }

    private const string Scontrol = """
        JobId=6 ArrayJobId=6 ArrayTaskId=4-5%3 ArrayTaskThrottle=3 JobName=j2.sh UserId=root(0) GroupId=root(0) MCS_label=N/A Priority=4294901757 Nice=0 Account=(null) QOS=(null) JobState=PENDING Reason=Resources Dependency=(null) Requeue=1 Restarts=0 BatchFlag=1 Reboot=0 ExitCode=0:0 RunTime=00:00:00 TimeLimit=00:01:00 TimeMin=N/A SubmitTime=2026-11-22T05:49:00 EligibleTime=2026-11-22T05:49:01 Partition=local Command=/tmp/slt/j2.sh WorkDir=/tmp/slt StdErr=/tmp/slt/6_4294967294.o StdIn=/dev/null StdOut=/tmp/slt/6_4294967294.o Power= 
        JobId=9 ArrayJobId=6 ArrayTaskId=3 ArrayTaskThrottle=3 JobName=j2.sh UserId=root(0) GroupId=root(0) MCS_label=N/A Priority=4294901757 Nice=0 Account=(null) QOS=(null) JobState=RUNNING Reason=None Dependency=(null) Requeue=1 Restarts=0 BatchFlag=1 Reboot=0 ExitCode=0:0 RunTime=00:00:00 TimeLimit=00:01:00 TimeMin=N/A Partition=local NodeList=vm BatchHost=vm Command=/tmp/slt/j2.sh WorkDir=/tmp/slt StdErr=/tmp/slt/6_3.o StdIn=/dev/null StdOut=/tmp/slt/6_3.o Power= 
        JobId=8 ArrayJobId=6 ArrayTaskId=1 ArrayTaskThrottle=3 JobName=j2.sh UserId=root(0) GroupId=root(0) MCS_label=N/A Priority=4294901757 Nice=0 Account=(null) QOS=(null) JobState=CANCELLED Reason=None Dependency=(null) Requeue=1 Restarts=0 BatchFlag=1 Reboot=0 ExitCode=0:15 RunTime=00:00:03 TimeLimit=00:01:00 TimeMin=N/A Partition=local NodeList=vm BatchHost=vm Command=/tmp/slt/j2.sh WorkDir=/tmp/slt StdErr=/tmp/slt/6_1.o StdIn=/dev/null StdOut=/tmp/slt/6_1.o Power= 
        JobId=7 ArrayJobId=6 ArrayTaskId=0 ArrayTaskThrottle=3 JobName=j2.sh UserId=root(0) GroupId=root(0) MCS_label=N/A Priority=4294901757 Nice=0 Account=(null) QOS=(null) JobState=FAILED Reason=NonZeroExitCode Dependency=(null) Requeue=1 Restarts=0 BatchFlag=1 Reboot=0 ExitCode=3:0 RunTime=00:00:00 TimeLimit=00:01:00 TimeMin=N/A Partition=local NodeList=vm BatchHost=vm Command=/tmp/slt/j2.sh WorkDir=/tmp/slt StdErr=/tmp/slt/6_0.o StdIn=/dev/null StdOut=/tmp/slt/6_0.o Power= 
        """;

    [Fact]
    public void RecentReadsScontrolRecordsIncludingEndedTasks()
    {
        var runner = FakeRunner.Printing(Scontrol);
        var tasks = new SlurmClient(runner).Recent("6");
        Assert.Equal("0:FAILED:3:0 1:CANCELLED:0:15 3:RUNNING:0:0 4:PENDING:0:0 5:PENDING:0:0", States(tasks));
        Assert.Equal(new[] { "show", "job", "-o", "6" }, runner.Calls[0].Arguments);
        Assert.True(tasks[0].IsEnded);
        Assert.True(tasks[1].IsEnded);
        Assert.False(tasks[3].IsEnded);
    }

    [Fact]
    public void RecentOfAPurgedJobIsEmpty() =>
        Assert.Empty(new SlurmClient(FakeRunner.Printing("", "slurm_load_jobs error: Invalid job id specified\n", 1)).Recent("6"));

    [Fact]
    public void JobCompLogRecordsGiveEndStatesAndTheLastRecordWins()
    {
        // jobcomp/filetxt: one line per ended job; "DerivedExitCode" must not be read as "ExitCode". Task 2 was requeued.
        const string log = """
            JobId=7 UserId=root(0) GroupId=root(0) Name=j2.sh JobState=FAILED Partition=local TimeLimit=1 StartTime=2026-11-22T05:49:01 EndTime=2026-11-22T05:49:01 NodeList=vm NodeCnt=1 ProcCnt=1 WorkDir=/tmp/slt ReservationName= Tres=cpu=1,mem=256M,node=1,billing=1 Account= QOS= WcKey= Cluster=unknown SubmitTime=2026-11-22T05:49:00 EligibleTime=2026-11-22T05:49:01 ArrayJobId=6 ArrayTaskId=0 DerivedExitCode=0:0 ExitCode=3:0 
            JobId=10 UserId=root(0) GroupId=root(0) Name=j2.sh JobState=NODE_FAIL Partition=local TimeLimit=1 StartTime=2026-11-22T05:49:07 EndTime=2026-11-22T05:49:08 NodeList=vm NodeCnt=1 ProcCnt=1 WorkDir=/tmp/slt ReservationName= Tres=cpu=1,mem=256M,node=1,billing=1 Account= QOS= WcKey= Cluster=unknown SubmitTime=2026-11-22T05:49:00 EligibleTime=2026-11-22T05:49:01 ArrayJobId=6 ArrayTaskId=2 DerivedExitCode=0:0 ExitCode=0:0 
            JobId=5 UserId=root(0) GroupId=root(0) Name=t JobState=CANCELLED Partition=local TimeLimit=UNLIMITED StartTime=2026-11-22T05:46:21 EndTime=2026-11-22T05:46:21 NodeList=(null) NodeCnt=0 ProcCnt=0 WorkDir=/work/main ReservationName= Tres=cpu=1,mem=256M,node=1,billing=1 Account= QOS= WcKey= Cluster=unknown SubmitTime=2026-11-22T05:46:21 EligibleTime=unknown DerivedExitCode=0:0 ExitCode=0:0 
            JobId=10 UserId=root(0) GroupId=root(0) Name=j2.sh JobState=COMPLETED Partition=local TimeLimit=1 StartTime=2026-11-22T05:49:09 EndTime=2026-11-22T05:49:10 NodeList=vm NodeCnt=1 ProcCnt=1 WorkDir=/tmp/slt ReservationName= Tres=cpu=1,mem=256M,node=1,billing=1 Account= QOS= WcKey= Cluster=unknown SubmitTime=2026-11-22T05:49:00 EligibleTime=2026-11-22T05:49:01 ArrayJobId=6 ArrayTaskId=2 DerivedExitCode=0:0 ExitCode=0:0 
            JobId=12 UserId=root(0) GroupId=root(0) Name=j2.sh JobState=COMPLETED Partition=local TimeLimit=1 StartTime=2026-11-22T05:49:09 EndTime=2026-11-22T05:49:10 NodeList=vm NodeCnt=1 ProcCnt=1 WorkDir=/tmp/slt ReservationName= Tres=cpu=1,mem=256M,node=1,billing=1 Account= QOS= WcKey= Cluster=unknown SubmitTime=2026-11-22T05:49:00 EligibleTime=2026-11-22T05:49:01 ArrayJobId=11 ArrayTaskId=0 DerivedExitCode=0:0 ExitCode=0:0 
            """;
        Assert.Equal("0:FAILED:3:0 2:COMPLETED:0:0", States(SlurmOutput.ParseKeyValueRecords(log, "6")));
    }

    [Fact]
    public void AccountingReadsSacct()
    {
        var runner = FakeRunner.Printing("""
            1234_0|COMPLETED|0:0
            1234_1|CANCELLED by 1000|0:15
            1234_1.batch|CANCELLED|0:15
            1234_2|TIMEOUT|0:0
            1234_3|OUT_OF_MEMORY|0:125
            1234_4|RUNNING|0:0
            1234_[5-7]|PENDING|0:0
            """);
        var tasks = new SlurmClient(runner).Accounting("1234");
        Assert.NotNull(tasks);
        Assert.Equal("0:COMPLETED:0:0 1:CANCELLED:0:15 2:TIMEOUT:0:0 3:OUT_OF_MEMORY:0:125 4:RUNNING:0:0 5:PENDING:0:0 6:PENDING:0:0 7:PENDING:0:0", States(tasks));
        Assert.Equal("sacct", runner.Calls[0].Program);
        Assert.Equal(["-n", "-P", "-X", "-j", "1234", "-o", "JobID,State,ExitCode"], runner.Calls[0].Arguments);
    }

    [Fact]
    public void AccountingIsNullWithoutAccounting()
    {
        Assert.Null(new SlurmClient(FakeRunner.Printing("", "Slurm accounting storage is disabled\n", 1)).Accounting("6"));
        Assert.Null(new SlurmClient(FakeRunner.Printing("", "sacct: cannot run it", SystemProcessRunner.NotFound)).Accounting("6"));
        Assert.Throws<SlurmException>(() =>
            new SlurmClient(FakeRunner.Printing("", "sacct: error: Problem talking to the database: Connection refused\n", 1)).Accounting("6"));
    }

    [Fact]
    public void CancelNamesOneTaskOrTheArray()
    {
        var runner = FakeRunner.Printing("");
        var client = new SlurmClient(runner);
        client.Cancel("6", 2);
        client.Cancel("6");
        Assert.Equal(new[] { "6_2" }, runner.Calls[0].Arguments);
        Assert.Equal(new[] { "6" }, runner.Calls[1].Arguments);
        Assert.All(runner.Calls, c => Assert.Equal("scancel", c.Program));
    }

    [Fact]
    public void UnreadableArrayIdsFailLoudly() =>
        Assert.Throws<SlurmException>(() => SlurmOutput.ParseSqueue("6_[1,3,5,7,9,11,13,15,17,19,21,23,25,27,29,31,33,35,37,39,41,43,45... PENDING\n", "6"));
}

public class SystemProcessRunnerTests
{
    [Fact]
    public void RunsWithExtraEnvironmentAndCapturesBothStreams()
    {
        if (OperatingSystem.IsWindows()) return;
        var runner = new SystemProcessRunner(new Dictionary<string, string> { ["FOO"] = "bar" });
        var r = runner.Run("sh", ["-c", "echo \"$SLURM_BITSTR_LEN $FOO $1\"; echo oops >&2; exit 3", "sh", "a b"]);
        Assert.Equal(new ProcessResult(3, "0 bar a b\n", "oops\n"), r);
    }

    [Fact]
    public void AMissingProgramGivesExitCode127() =>
        Assert.Equal(SystemProcessRunner.NotFound, new SystemProcessRunner().Run("ntk-no-such-program", []).ExitCode);
}
